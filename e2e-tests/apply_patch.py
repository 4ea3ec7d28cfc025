#!/usr/bin/env python3
"""Applies the JSON patch of a kwctl-style AdmissionResponse (on stdin) to the object of an
AdmissionRequest file, and prints the patched object: what the API server would store.

Usage: apply_patch.py REQUEST.json < response.json
Implements the RFC 6902 operations a patch from `json_patch::diff` holds (add, remove,
replace); anything else is an error, so that a test cannot pass on a patch it misreads.
"""
import base64
import json
import sys


def pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(f"bad JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def parent_and_key(document, path):
    parts = pointer(path)
    node = document
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, parts[-1]


def apply(document, patch):
    for op in patch:
        kind, path = op["op"], op["path"]
        if path == "":
            if kind in ("add", "replace"):
                document = op["value"]
                continue
            raise ValueError(f"cannot {kind} the whole document")
        node, key = parent_and_key(document, path)
        if isinstance(node, list):
            index = len(node) if key == "-" else int(key)
            if kind == "add":
                node.insert(index, op["value"])
            elif kind == "replace":
                node[index] = op["value"]
            elif kind == "remove":
                del node[index]
            else:
                raise ValueError(f"unsupported op {kind}")
        else:
            if kind in ("add", "replace"):
                node[key] = op["value"]
            elif kind == "remove":
                del node[key]
            else:
                raise ValueError(f"unsupported op {kind}")
    return document


def main():
    request = json.load(open(sys.argv[1]))
    request = request.get("request", request)
    response = json.load(sys.stdin)
    if response.get("patchType") != "JSONPatch":
        sys.exit(f"no JSON patch in the response: {response}")
    patch = json.loads(base64.b64decode(response["patch"], validate=True))
    print(json.dumps(apply(request["object"], patch), sort_keys=True))


if __name__ == "__main__":
    main()
