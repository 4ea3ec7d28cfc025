#!/usr/bin/env python3
"""Seeds the fuzz corpora from the end-to-end fixtures (e2e-tests/test_data): whole payloads
for `validate`, settings for `validate_settings`, the fixtures' images, settings entries and
registry keys for the parsers, and the decoded content of their pull secrets for the decoder.
The seeds are written at run time and not committed; what the fuzzer adds to them stays in
fuzz/corpus/ (ignored by git)."""
import base64
import hashlib
import json
import pathlib

HERE = pathlib.Path(__file__).parent
DATA = HERE.parent / "e2e-tests" / "test_data"


def seed(target, content):
    if isinstance(content, str):
        content = content.encode()
    out = HERE / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(content).hexdigest()).write_bytes(content)


def main():
    settings = [json.loads(p.read_text()) for p in sorted(DATA.glob("settings*.json"))]
    for s in settings:
        seed("validate_settings", json.dumps(s))
    images, keys, entries = set(), set(), set()
    for s in settings:
        for r in s.get("registries", []):
            entries.add(r["registry"])
    for path in sorted(DATA.glob("*.json")):
        if path.name.startswith("settings"):
            continue
        request = json.loads(path.read_text())
        request = request.get("request", request)
        for s in settings:
            seed("validate", json.dumps({"request": request, "settings": s}))
        obj = request.get("object") or {}
        text = json.dumps(obj)
        for marker in ('"image": "',):
            for piece in text.split(marker)[1:]:
                images.add(piece.split('"', 1)[0])
        for key in (".dockerconfigjson", ".dockercfg"):
            value = (obj.get("data") or {}).get(key)
            if not value:
                continue
            try:
                content = base64.b64decode(value)
            except ValueError:
                continue
            seed("docker_config", bytes([0 if key == ".dockerconfigjson" else 1]) + content)
            try:
                doc = json.loads(content)
            except ValueError:
                continue
            auths = doc.get("auths", doc) if isinstance(doc, dict) else {}
            if isinstance(auths, dict):
                keys.update(auths)
    for image in images:
        seed("image_reference", image)
        for key in keys:
            seed("registry_key", f"{key}\n{image}")
        for entry in entries:
            seed("registry_entry", f"{entry}\n{image}\n{next(iter(keys), '')}")


if __name__ == "__main__":
    main()
