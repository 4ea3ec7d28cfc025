#!/usr/bin/env python3
"""Short-lived registry credentials, shaped as the real ones, dated relative to now.

Unlike the committed fixtures that generate.py writes, these depend on the time the test runs
(an ECR token "expired 2 hours ago" must be 2 hours old when the policy reads it), so the bats
suites call this script as they run. The same shapes are built by the unit tests'
`dockerconfig::expiry::fake` module.

    credentials.py ecr OFFSET                 an `aws ecr get-login-password` password
    credentials.py jwt OFFSET [--iat S] [--nbf S]
                                              a JWT (RS256 header, random signature)
    credentials.py ghs | ya29                 a GitHub installation / Google access token
    credentials.py request KIND OFFSET [--registry R] [--name N] [--user U]
                   [--password-field] [--update-from OFFSET] [-o FILE]
                                              a Secret CREATE AdmissionRequest holding one
                                              (an UPDATE from one of OFFSET with --update-from)
    credentials.py session [-o FILE] NAME=KIND:OFFSET...
                                              a kwctl replay session that answers the reads of
                                              Secrets NAME (each holding one credential for
                                              --registry), cached, then past the cache

OFFSET and the --iat/--nbf values are seconds relative to now (negative: in the past);
--now SECS fixes "now" for reproducible output. Nothing here is a real credential.
"""
import argparse
import base64
import json
import os
import pathlib
import string
import sys
import time

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (the fixtures' request and Secret builders)

# The user names the registries' own tools write for each kind.
USERS = {
    "ecr": "AWS",
    "jwt": "00000000-0000-0000-0000-000000000000",  # Azure Container Registry refresh token
    "ghs": "x-access-token",
    "ya29": "oauth2accesstoken",
}


def _b64(raw):
    return base64.b64encode(raw).decode()


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _now(now):
    return int(time.time()) if now is None else int(now)


def ecr_password(offset, now=None):
    """The password `aws ecr get-login-password` prints, expiring `offset` seconds from now:
    standard base64 of a JSON envelope around encrypted blobs (random here), with the
    expiration in Unix seconds."""
    envelope = {
        "payload": _b64(os.urandom(1100)),
        "datakey": _b64(os.urandom(180)),
        "version": "2",
        "type": "DATA_KEY",
        "expiration": _now(now) + offset,
    }
    return _b64(json.dumps(envelope, separators=(",", ":")).encode())


def jwt(offset, now=None, iat=None, nbf=None, claims=None):
    """A compact RS256 JWT whose `exp` is `offset` seconds from now (`iat`, `nbf` likewise
    when given), signed with random bytes: the policy reads the dates and verifies nothing."""
    now = _now(now)
    body = {"iss": "https://example.azurecr.io", "sub": "robot",
            **(claims or {}), "exp": now + offset}
    if iat is not None:
        body["iat"] = now + iat
    if nbf is not None:
        body["nbf"] = now + nbf
    header = {"alg": "RS256", "typ": "JWT"}
    segments = [json.dumps(part, separators=(",", ":")).encode() for part in (header, body)]
    return ".".join([_b64url(s) for s in segments] + [_b64url(os.urandom(256))])


def _random_text(alphabet, length):
    return "".join(alphabet[b % len(alphabet)] for b in os.urandom(length))


def github_installation_token():
    """`ghs_` and 36 base62 characters: valid for one hour from its issue."""
    return "ghs_" + _random_text(string.ascii_letters + string.digits, 36)


def google_access_token():
    """`ya29.` and a long URL-safe body: valid for one hour from its issue."""
    return "ya29." + _random_text(string.ascii_letters + string.digits + "-_", 160)


def password(kind, offset=0, now=None, iat=None, nbf=None):
    if kind == "ecr":
        return ecr_password(offset, now)
    if kind == "jwt":
        return jwt(offset, now, iat, nbf)
    if kind == "ghs":
        return github_installation_token()
    if kind == "ya29":
        return google_access_token()
    raise ValueError(f"unknown credential kind {kind!r}")


def dockerconfigjson_request(registry, user, secret, name="regcred", password_field=False):
    """A CREATE AdmissionRequest for a `.dockerconfigjson` Secret with one registry key: the
    credential in `auth` (as `kubectl create secret docker-registry` writes it), or in
    `username`/`password` when `password_field`."""
    if password_field:
        entry = {"username": user, "password": secret}
    else:
        entry = {"auth": _b64(f"{user}:{secret}".encode())}
    obj = generate.dockerconfigjson(name, {"auths": {registry: entry}})
    return generate.request("Secret", obj)


def update_request(registry, user, old_secret, new_secret, name="regcred"):
    """An UPDATE AdmissionRequest that rewrites the Secret's credential (what a refresher
    does): the old object holds `old_secret`, the new one `new_secret`."""
    def obj(secret):
        entry = {"auth": _b64(f"{user}:{secret}".encode())}
        return generate.dockerconfigjson(name, {"auths": {registry: entry}})
    return generate.request("Secret", obj(new_secret), "UPDATE", obj(old_secret))


def session_of(secrets, registry, now=None):
    """A kwctl replay session answering a get_resource of each Secret `name` in `secrets`
    (`(name, kind, offset)`) with one holding that credential for `registry`, in order."""
    exchanges = []
    for name, kind, offset in secrets:
        entry = {"auth": _b64(f"{USERS[kind]}:{password(kind, offset, now)}".encode())}
        exchanges.append(("Secret", name,
                          generate.dockerconfigjson(name, {"auths": {registry: entry}})))
    return exchanges


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--now", type=int, help="Unix seconds to use as now")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ecr").add_argument("offset", type=int)
    p = sub.add_parser("jwt")
    p.add_argument("offset", type=int)
    p.add_argument("--iat", type=int)
    p.add_argument("--nbf", type=int)
    sub.add_parser("ghs")
    sub.add_parser("ya29")
    p = sub.add_parser("request")
    p.add_argument("kind", choices=sorted(USERS))
    p.add_argument("offset", type=int, nargs="?", default=0)
    p.add_argument("--iat", type=int)
    p.add_argument("--nbf", type=int)
    p.add_argument("--registry", default="private.registry.com")
    p.add_argument("--name", default="regcred")
    p.add_argument("--user", help="default: what the registry's tools write for KIND")
    p.add_argument("--password-field", action="store_true",
                   help="username/password instead of auth")
    p.add_argument("--update-from", type=int, metavar="OFFSET",
                   help="an UPDATE whose old object holds a credential of OFFSET")
    p.add_argument("-o", "--output", type=pathlib.Path, help="default: stdout")
    p = sub.add_parser("session")
    p.add_argument("secrets", nargs="+", metavar="NAME=KIND:OFFSET")
    p.add_argument("--registry", default="private.registry.com")
    p.add_argument("-o", "--output", type=pathlib.Path, required=True)
    args = parser.parse_args(argv)

    if args.command == "request":
        secret = password(args.kind, args.offset, args.now, args.iat, args.nbf)
        user = args.user or USERS[args.kind]
        if args.update_from is not None:
            old = password(args.kind, args.update_from, args.now, args.iat, args.nbf)
            req = update_request(args.registry, user, old, secret, args.name)
        else:
            req = dockerconfigjson_request(args.registry, user, secret, args.name,
                                           args.password_field)
        text = json.dumps(req, indent=2) + "\n"
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text)
    elif args.command == "session":
        secrets = []
        for spec in args.secrets:
            name, _, rest = spec.partition("=")
            kind, _, offset = rest.partition(":")
            secrets.append((name, kind, int(offset or 0)))
        generate.session(args.output, session_of(secrets, args.registry, args.now))
    else:
        offset = getattr(args, "offset", 0)
        print(password(args.command, offset, args.now,
                       getattr(args, "iat", None), getattr(args, "nbf", None)))


if __name__ == "__main__":
    main()
