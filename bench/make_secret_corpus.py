#!/usr/bin/env python3
"""Writes tests/fixtures/secrets/corpus.jsonl, the scanner's labelled corpus.

Every line is {"kind", "tier", "text", "secret"}: a positive names the kind the scanner must report
for `secret` (the exact substring of `text` to redact) at that tier; a negative has kind null and
must not be reported at all (hard negatives: ids, hashes, placeholders and other text that looks
like a secret but is not). The secrets are fakes drawn from a seeded generator, shaped like the real
formats (GitHub tokens carry a valid CRC32 tail), so the file is the same on every run:

    python3 bench/make_secret_corpus.py
"""

import base64
import json
import pathlib
import random
import string
import zlib

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/secrets/corpus.jsonl"

rng = random.Random(20261125)
ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62_6(value):
    digits = []
    for _ in range(6):
        digits.append(BASE62[value % 62])
        value //= 62
    return "".join(reversed(digits))


def checksummed(prefix):
    """A GitHub-style token: 30 random base62 characters, then base62(crc32(them)) in 6."""
    body = rand(30)
    return prefix + body + base62_6(zlib.crc32(body.encode()))


def b64(data):
    return base64.b64encode(data).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt():
    header = b64url(json.dumps({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": rand(12), "iat": rng.randrange(1_600_000_000, 1_800_000_000)}).encode())
    return f"{header}.{payload}.{rand(43, B64URL)}"


def pem(label, lines=4):
    body = "\n".join(rand(64, B64) for _ in range(lines))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


def openssh_key():
    head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    body = "\n".join([head + rand(2, B64)] + [rand(70, B64) for _ in range(3)])
    return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----"


def pgp_key():
    body = "\n".join(rand(64, B64) for _ in range(4))
    return (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n"
        f"lQdGBF{body}\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----"
    )


rows = []


def positive(kind, secret, contexts, tier="capture"):
    for before, after in contexts:
        rows.append({"kind": kind, "tier": tier, "text": f"{before}{secret}{after}", "secret": secret})


def positives(kind, make, contexts, tier="capture"):
    """One fresh secret per context, so every row tests another random draw."""
    for context in contexts:
        positive(kind, make(), [context], tier)


def negative(text, tier="capture"):
    rows.append({"kind": None, "tier": tier, "text": text})


SHELL = [
    ("export TOKEN_VALUE=", "\n"),
    ("  value: \"", "\"\n"),
    ("curl -s https://api.test/v1 -d key=", " | jq .\n"),
    ("{\"output\": \"", "\\n\"}"),
    ("Found credential ", " in .env; rotating it now."),
    ("echo '", "' > /tmp/k && chmod 600 /tmp/k"),
]

# Format rules: the secret stands on its own in ordinary contexts.
positives("github_token", lambda: checksummed(rng.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])), SHELL * 3)
positives("github_token", lambda: f"github_pat_{rand(22)}_{rand(59)}", SHELL)
# A body that spells a placeholder word is still a token when its checksum says GitHub issued it
# (tests/scanner_corpus.rs checks that it is found, i.e. that both sides agree on the checksum).
positive("github_token", (lambda body: "ghp_" + body + base62_6(zlib.crc32(body.encode())))("xxxxx" + rand(25)), [("GH_TOKEN=", "\n")])
positives("gitlab_token", lambda: rng.choice(["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-"]) + rand(20, B64URL), SHELL)
positives("gitlab_token", lambda: f"glpat-{rand(27, B64URL)}.01{rand(7, string.digits + string.ascii_lowercase)}", SHELL[:3])
positives("aws_access_key_id", lambda: rng.choice(["AKIA", "ASIA"]) + rand(16, UPPER), SHELL)
positives("aws_access_key_id", lambda: "AKIA" + rand(16, UPPER), [("aws_access_key_id = ", "\n"), ("\"AccessKeyId\": \"", "\",")])
positives("google_api_key", lambda: "AIza" + rand(35, B64URL), SHELL)
positives("slack_token", lambda: f"xoxb-{rand(11, string.digits)}-{rand(12, string.digits)}-{rand(24)}", SHELL)
positives("slack_token", lambda: f"xoxp-{rand(11, string.digits)}-{rand(11, string.digits)}-{rand(12, string.digits)}-{rand(32, HEX)}", SHELL[:3])
positives("slack_token", lambda: f"xapp-1-A{rand(10, UPPER)}-{rand(13, string.digits)}-{rand(64, HEX)}", SHELL[:2])
positives("slack_webhook", lambda: f"T{rand(8, UPPER)}/B{rand(10, UPPER)}/{rand(24)}", [("curl -X POST https://hooks.slack.com/services/", " -d @payload.json"), ("SLACK_WEBHOOK_URL=https://hooks.slack.com/services/", "\n")] * 3)
positives("stripe_key", lambda: rng.choice(["sk_live_", "rk_live_", "sk_test_", "pk_live_"]) + rand(rng.choice([24, 34, 99])), SHELL)
positives("openai_api_key", lambda: "sk-proj-" + rand(rng.choice([48, 74, 156]), B64URL), SHELL)
positives("openai_api_key", lambda: "sk-" + rand(20) + "T3BlbkFJ" + rand(20), SHELL[:3])
positives("anthropic_api_key", lambda: "sk-ant-api03-" + rand(93, B64URL) + "AA", SHELL)
positives("anthropic_api_key", lambda: "sk-ant-admin01-" + rand(93, B64URL) + "AA", SHELL[:2])
positives("huggingface_token", lambda: "hf_" + rand(34, string.ascii_letters), SHELL)
positives("npm_token", lambda: checksummed("npm_"), SHELL + [("//registry.npmjs.org/:_authToken=", "\n")])
positives("pypi_token", lambda: "pypi-AgEIcHlwaS5vcmc" + rand(150, B64URL), SHELL)
positives("twilio_key", lambda: rng.choice(["SK", "AC"]) + rand(32, HEX), [("TWILIO_API_KEY=", "\n"), ("client = twilio.Client('", "', auth)"), ("twilio api:core:keys:list  # ", "\n")] * 2)
positives("sendgrid_api_key", lambda: f"SG.{rand(22, B64URL)}.{rand(43, B64URL)}", SHELL)
positives("mailgun_key", lambda: "key-" + rand(32, HEX), [("curl -s --user 'api:", "' https://api.mailgun.net/v3"), ("MAILGUN_API_KEY=", "\n"), ("mailgun: {apiKey: '", "'}")] * 2)
positives("digitalocean_token", lambda: rng.choice(["dop_v1_", "doo_v1_", "dor_v1_"]) + rand(64, HEX), SHELL)
positives("shopify_token", lambda: rng.choice(["shpat_", "shpca_", "shppa_", "shpss_"]) + rand(32, HEX), SHELL)
positives("azure_storage_key", lambda: rand(86, B64) + "==", [("DefaultEndpointsProtocol=https;AccountName=store1;AccountKey=", ";EndpointSuffix=core.windows.net"), ("\"AccountKey=", "\"")] * 3)
positives("discord_token", lambda: rng.choice("MNO") + rand(23, B64URL) + "." + rand(6, B64URL) + "." + rand(27, B64URL), SHELL)
positives("discord_token", lambda: rand(68, B64URL), [("https://discord.com/api/webhooks/" + rand(18, string.digits) + "/", "\n")] * 3)
positives("telegram_bot_token", lambda: rand(10, string.digits) + ":AA" + rand(33, B64URL), SHELL)
positives("square_token", lambda: "EAAA" + rand(60, B64URL), SHELL[:3])
positives("square_token", lambda: "sq0atp-" + rand(22, B64URL), SHELL[:3])
positives("doppler_token", lambda: rng.choice(["dp.pt.", "dp.st.", "dp.sa."]) + rand(43), SHELL)
positives("databricks_token", lambda: "dapi" + rand(32, HEX), SHELL)
positives("heroku_api_key", lambda: "HRKU-AA" + rand(58, B64URL), SHELL[:3])
positives("heroku_api_key", lambda: f"{rand(8, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(12, HEX)}", [("HEROKU_API_KEY=", "\n"), ("heroku config: api_key ", "\n"), ("heroku auth:token -> ", "\n")])
positives("atlassian_api_token", lambda: "ATATT3" + rand(186, B64URL), SHELL[:4])
positives("vault_token", lambda: "hvs." + rand(95, B64URL), SHELL[:4])
positives("age_secret_key", lambda: "AGE-SECRET-KEY-1" + rand(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"), SHELL[:4])
positives("grafana_token", lambda: f"glsa_{rand(32)}_{rand(8, HEX)}", SHELL[:4])
positives("sentry_token", lambda: "sntryu_" + rand(64, HEX), SHELL[:4])
positives("saas_api_key", lambda: rng.choice(["lin_api_" + rand(40), f"PMAK-{rand(24, HEX)}-{rand(34, HEX)}", "pul-" + rand(40, HEX)]), SHELL)
positives("jwt", jwt, SHELL + [("Cookie: session=", "; Path=/")])
positives("private_key", lambda: pem(rng.choice(["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])), [("cat key.pem\n", "\n"), ("", "")] * 3)
positives("private_key", openssh_key, [("$ cat ~/.ssh/id_ed25519\n", "\n$ "), ("", "")] * 2)
positives("private_key", pgp_key, [("gpg --export-secret-keys --armor\n", "\n")] * 3)

# Context rules: the secret is recognised by where it stands.
positives("aws_secret_access_key", lambda: rand(40, B64), [("aws_secret_access_key = ", "\n"), ("export AWS_SECRET_ACCESS_KEY=\"", "\""), ("{\"aws_secret_access_key\": \"", "\"}"), ("awsSecretAccessKey: ", "\n")] * 2)
positives("url_credentials", lambda: rand(rng.choice([12, 16, 24])), [
    ("DATABASE_URL=postgres://app:", "@db.prod:5432/app"),
    ("mongodb+srv://admin:", "@cluster0.abcde.mongodb.net/test"),
    ("redis://default:", "@cache:6379/0"),
    ("amqp://guest:", "@rabbit:5672/%2f"),
    ("git clone https://deploy:", "@git.acme.dev/repo.git"),
    ("mysql://root:", "@127.0.0.1:3306/db"),
] * 2)
positives("connection_string_password", lambda: rand(16), [
    ("jdbc:postgresql://db:5432/app?user=app&password=", "&ssl=true"),
    ("jdbc:sqlserver://db:1433;databaseName=app;user=sa;password=", ";"),
    ("Server=tcp:db,1433;Database=app;User Id=sa;Password=", ";Encrypt=True;"),
    ("Driver={ODBC};Server=db;Uid=app;Pwd=", ";"),
] * 2)
positives("authorization_header", lambda: rand(40, B64URL), [
    ("curl -H 'Authorization: Bearer ", "' https://api.internal.test"),
    ("Authorization: token ", "\r\n"),
    ("headers = {\"Authorization\": \"Bearer ", "\"}"),
    ("-H \"authorization: ", "\""),
] * 2)
positives("authorization_header", lambda: b64(f"{rand(6, string.ascii_lowercase)}:{rand(14)}".encode()), [("Authorization: Basic ", "\n")] * 4)
positives("kubeconfig_secret", lambda: rand(120, B64), [("    client-key-data: ", "\n"), ("  client-key-data: \"", "\"\n")] * 3)
positives("docker_config_auth", lambda: b64(f"{rand(8, string.ascii_lowercase)}:{rand(20)}".encode()), [
    ("{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"", "\"}}}"),
    ("{\\\"auths\\\":{\\\"ghcr.io\\\":{\\\"auth\\\":\\\"", "\\\"}}}"),
] * 3)
positives("npmrc_auth_token", lambda: rand(36), [("//npm.pkg.github.com/:_authToken=", "\n"), ("_auth=", "\n"), ("//registry.acme.dev/:_password=", "\n")] * 2)
positives("netrc_password", lambda: rand(20), [
    ("machine api.heroku.com login me password ", "\n"),
    ("machine github.com\n  login octo\n  password ", "\n"),
    ("machine gitlab.acme.dev login ci password ", ""),
] * 2)
positives("generic_secret", lambda: rand(rng.choice([16, 24, 32, 48])), [
    ("DB_PASSWORD=", "\n"),
    ("JWT_SECRET=\"", "\"\n"),
    ("export STRIPE_WEBHOOK_SECRET='", "'\n"),
    ("\"api_key\": \"", "\","),
    ("client_secret: ", "\n"),
    ("SECRET_KEY = '", "'\n"),
    ("  password: ", "\n"),
    ("ENCRYPTION_KEY_PASSWORD := \"", "\""),
    ("[pypi]\nusername = __token__\npassword = ", "\n"),
    ("X-Api-Key: ", "\n"),
    ("TWILIO_AUTH_TOKEN=", "\n"),
    ("config.access_key = \"", "\""),
] * 2)
positives("high_entropy", lambda: rand(40, B64), [("printf '%s\\n' ", " > creds"), ("blob ", " end"), ("", "")] * 3)
positives("high_entropy", lambda: rand(rng.choice([32, 48, 64])), [("curl -H 'X-Request-Sig: ", "' https://api"), ("--sig ", " --verbose")] * 3)

# Egress: everything above, plus weaker evidence and personal data.
positives("generic_secret", lambda: rng.choice(["CorrectHorseBatteryStaple", "MonkeyTrombonePickle", "SunsetOverTheHarbour"]), [("PASSWORD=", "\n"), ("db_password: ", "\n")] * 2, tier="egress")
positives("high_entropy", lambda: rand(rng.choice([24, 26, 28, 30])), [("--key ", " --verbose"), ("sig=", "\n")] * 3, tier="egress")
positives("email_address", lambda: rng.choice(["alice.smith", "bob", "j.doe+git", "carol_w"]) + "@" + rng.choice(["gmail.com", "acme-corp.com", "mail.univ.edu", "proton.me"]), [("Author: Alice <", ">\n"), ("contact ", " for access"), ("git config user.email ", "\n")] * 3, tier="egress")
positives("home_path_user", lambda: rng.choice(["alice", "bsmith", "jdoe", "karen.lee"]), [("/home/", "/projects/app/src/main.rs"), ("/Users/", "/Library/Caches/pip"), ("C:\\Users\\", "\\AppData\\Local\\Temp"), ("C:\\\\Users\\\\", "\\\\Desktop\\\\notes.txt")] * 2, tier="egress")
positives("hostname", lambda: rng.choice(["build-7.internal", "db1.prod.acme-corp.com", "alice-macbook.local", "git.corp", "jenkins.eng.initech.net", "vault.ops.globex.io"]), [("ssh -p 22 ", " uptime"), ("Connecting to ", ":5432...\n"), ("https://", "/api/v1/health")] * 3, tier="egress")
positives("ip_address", lambda: rng.choice([f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}", f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}", f"34.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}", "fe80::1c2b:3aff:fe4d:5e6f", "2a01:4f8:c17:b8f::2"]), [("inet ", "/24 brd\n"), ("connect to ", " port 22: Connection refused"), ("X-Forwarded-For: ", "\n")] * 3, tier="egress")

# Hard negatives, capture tier: none of these may be reported.
for _ in range(6):
    sha = rand(40, HEX)
    negative(f"commit {sha}\nAuthor: dev\n\n    Fix token refresh race in the auth middleware")
    negative(f"git checkout {sha} && git log --oneline -3")
    negative(f"docker pull ghcr.io/acme/api@sha256:{rand(64, HEX)}")
    negative(f"\"sessionId\":\"{rand(8, HEX)}-{rand(4, HEX)}-4{rand(3, HEX)}-a{rand(3, HEX)}-{rand(12, HEX)}\"")
    negative(f"\"integrity\": \"sha512-{b64(rng.randbytes(64))}\",")
    negative(f"  integrity sha1-{b64(rng.randbytes(20))}")
    negative(f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rand(43, B64)} dev@laptop")
    negative(f"echo {b64(b'The quick brown fox jumps over the lazy dog, again and again.')} | base64 -d")
    negative(f"color: #{rand(6, HEX)}; background: #{rand(3, HEX)};")
    negative(f"\"tool_use_id\":\"toolu_01{rand(22)}\",\"id\":\"msg_01{rand(22)}\"")
    negative(f"token: {rand(40, HEX)}  # the commit that introduced it")
    negative(f"request_id={rand(8, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(12, HEX)}")
for text in [
    "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "export OPENAI_API_KEY=sk-...",
    "GITHUB_TOKEN=<your-token>",
    "Authorization: Bearer <your-token>",
    "Authorization: Bearer $GITHUB_TOKEN",
    "Authorization: Bearer ${API_TOKEN}",
    "API_KEY=your_api_key_here",
    "password: changeme",
    "DB_PASSWORD=${DB_PASSWORD}",
    "SECRET_KEY=$SECRET_KEY",
    "token: xxxxxxxxxxxxxxxxxxxx",
    "GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    "STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "const token = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';",
    "postgres://${DB_USER}:${DB_PASS}@localhost/app",
    "mysql://root:****@db",
    "password = getpass.getpass()",
    "token = os.environ['GITHUB_TOKEN']",
    "api_key = config.openai.api_key",
    "self.token = tokenizer.encode(text)",
    "let token = read_token(&path)?;",
    "\"max_tokens\": 4096, \"input_tokens\": 12345678, \"cache_read_input_tokens\": 98765432",
    "feat(auth): rotate the refresh token on every use (closes #4821)",
    "Fixed: password reset emails were sent twice. Token expiry is now 15 minutes.",
    "The password: field is required; set password= in the config file.",
    "\"dependencies\": {\"react\": \"^18.2.0\", \"lodash\": \"4.17.21\", \"@types/node\": \"20.11.5\"}",
    "npm install lodash@4.17.21 left-pad@1.3.0",
    "image: postgres:16.2-alpine@sha256:" + rand(64, HEX),
    "/home/runner/work/app/app/src/components/UserProfileSettingsPanel.tsx",
    "src/main/java/com/example/myapp/controllers/UserController2.java",
    "node_modules/@babel/runtime/helpers/esm/asyncToGenerator.js",
    "!function(e,t){\"object\"==typeof exports&&\"undefined\"!=typeof module?module.exports=t():\"function\"==typeof define&&define.amd?define(t):(e=e||self).Vue=t()}(this,function(){\"use strict\";var e=Object.freeze({})",
    "var __WEBPACK_IMPORTED_MODULE_3_react_dom__ = __webpack_require__(/*! react-dom */ \"./node_modules/react-dom/index.js\");",
    "static/chunks/pages/_app-3f8a9b2c1d4e5f6a7b8c.js main.8f3b2c1a.chunk.js",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + rand(300, B64) + " ci@build",
    "-----BEGIN CERTIFICATE-----\n" + "\n".join(rand(64, B64) for _ in range(4)) + "\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\n" + rand(64, B64) + "\n-----END PUBLIC KEY-----",
    "if line.starts_with(\"-----BEGIN RSA PRIVATE KEY-----\") { return parse(rest); }",
    "github.com/pkg/errors v0.9.1 h1:" + rand(43, B64) + "=",
    "ED25519 key fingerprint is SHA256:" + rand(43, B64) + ".",
    "[REDACTED:github_token:3f9a1c] and [REDACTED:generic_secret:0a1b2c] stay as they are",
    "API_TOKEN=[REDACTED:generic_secret:0a1b2c]",
    "https://user:[REDACTED:url_credentials:85d182]@git.acme.dev/repo.git",
    "let response = client.get(url).header(AUTHORIZATION, format!(\"Bearer {token}\")).send().await?;",
    "   Compiling serde_derive v1.0.219 (/home/alice/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde_derive-1.0.219)",
    "ANTHROPIC_API_KEY=sk-ant-lab-dummy",
    "KEY_ID=3f786850-e387-550f-dab8-36ed7e6dc881",
    "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
]:
    negative(text)

# Hard negatives, egress tier: public names and reserved addresses stay.
for text in [
    "git clone git@github.com:rust-lang/rust.git",
    "see https://docs.rs/regex/latest/regex/ and https://crates.io/crates/serde",
    "Contact user@example.com or admin@example.org",
    "Co-authored-by: bot <41898282+github-actions[bot]@users.noreply.github.com>",
    "listening on 127.0.0.1:8080 and [::1]:8080, bound 0.0.0.0",
    "docs use 192.0.2.10, 198.51.100.7 and 2001:db8::1",
    "/home/runner/work/app/app/target/debug/app",
    "/Users/Shared/Library/Preferences",
    "cd /home/$USER/projects",
    "import socket.io from 'socket.io'; this.app.use(router)",
    "threading.local() and self.config.net",
    "version 1.2.3.4.5 of the tool, bump to v2.10.0.1",
    "use std::fmt::Display; impl fmt::Debug for Foo",
    "MAC 00:1a:2b:3c:4d:5e at 12:34:56",
    "icon@2x.png and logo@3x.webp",
    "https://github.com/o/r/blob/main/README.md",
    "pip install -i https://pypi.org/simple requests",
]:
    negative(text, tier="egress")

OUT.parent.mkdir(parents=True, exist_ok=True)
with OUT.open("w") as out:
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
positive_count = sum(1 for row in rows if row["kind"])
print(f"{OUT}: {positive_count} positives, {len(rows) - positive_count} negatives")
