//! The detection rules, one or more per kind of secret.
//!
//! Each rule names a `trigger`, a short regex every one of its matches contains. The scanner joins
//! the triggers of a tier's rules into one prefilter, so a text without any trigger costs a single
//! search and the rules themselves never run on it. Adding a rule means adding its trigger too;
//! keep it short (a literal where the format has one), since the prefilter reads every byte of
//! every payload.
//!
//! Minimum lengths sit between what ordinary code produces (identifiers, test dummies such as
//! `sk-ant-lab-dummy`) and the shortest real credential of each format. A pattern with a group named
//! `s` redacts only that group, so the surrounding context stays readable. Formats follow what the
//! issuers publish (GitHub's `ghp_` + 30 random + 6 checksum characters, AWS's `AKIA` + 16) and,
//! for the rest, gitleaks' default rule set.
//!
//! Secrets without a recognisable prefix or name, such as a bare AWS secret key or the body of a PEM
//! key passed alone to a command, are left to [`high_entropy_runs`], a fallback that needs no
//! trigger: it reports long base64-alphabet runs that look random rather than like names, paths or
//! ids, and only where no rule above found something.
//!
//! Boundaries are written `(?-u:\b)` (ASCII): a Unicode `\b` would force the regex crate off its
//! fast DFA on non-ASCII text, and tool outputs are often non-ASCII. Where a secret may end in `-`
//! (no word boundary after it), the pattern ends with an explicit "not a secret character" guard
//! instead and narrows to `s`.

use super::Tier;

/// One kind of secret and how to find it.
pub(super) struct Rule {
    pub(super) kind: &'static str,
    /// The cheapest tier that runs the rule; every stricter tier runs it too.
    pub(super) tier: Tier,
    /// A regex every match of `pattern` contains; the prefilter is their alternation.
    pub(super) trigger: &'static str,
    pub(super) pattern: &'static str,
    /// Drops matches that have the shape of a secret but are placeholders (or our own markers).
    pub(super) reject: Option<fn(&str) -> bool>,
}

/// A rule of the capture tier whose matches are dropped when they are placeholders.
const fn capture(kind: &'static str, trigger: &'static str, pattern: &'static str) -> Rule {
    Rule {
        kind,
        tier: Tier::Capture,
        trigger,
        pattern,
        reject: Some(is_placeholder),
    }
}

/// The rules in priority order: when two findings cover the same bytes, the earlier rule names it.
/// Rules that know a format come first; rules that know only a context (a header, a variable name)
/// come last, so a GitHub token in an `Authorization:` header is called a GitHub token.
pub(super) const RULES: &[Rule] = &[
    // A PEM, OpenSSH or PGP private key block. The BEGIN line must be followed by key material (a
    // base64 run of 16+ characters, or the `Proc-Type:` header of an encrypted PEM, or the
    // `Version:`/`Comment:` header of PGP armor): code that merely names the header (parsers,
    // tests) would otherwise lose everything after it, since a block without an END line is
    // redacted to the end of the text. Line breaks may be real or JSON-escaped (`\n`). No
    // placeholder check: key bodies legitimately hold runs such as `AAAAAAAA`.
    Rule {
        kind: "private_key",
        tier: Tier::Capture,
        trigger: "-----BEGIN",
        pattern: r"(?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|\s)+(?:Proc-Type:|Version:|Comment:|[A-Za-z0-9+/=]{16}).*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
        reject: None,
    },
    // Anthropic: `sk-ant-` then 40+ of `[A-Za-z0-9_-]`; real keys (`sk-ant-api03-…`,
    // `sk-ant-admin01-…`, `sk-ant-oat01-…`) carry about 100, test-harness dummies far fewer.
    capture(
        "anthropic_api_key",
        "sk-ant-",
        r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{40,}",
    ),
    // OpenAI: `sk-proj-`, `sk-svcacct-` or `sk-admin-` then 40+ of `[A-Za-z0-9_-]`, or the legacy
    // `sk-` then exactly 48 alphanumerics (`…T3BlbkFJ…` in the middle). Neither form can match
    // `sk-ant-…` (the legacy body has no `-`), so Anthropic keys are never misnamed.
    capture(
        "openai_api_key",
        "sk-",
        r"(?-u:\b)sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{48}(?-u:\b))",
    ),
    // GitHub: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` then 36+ alphanumerics (36 today; GitHub reserves
    // room to grow), or fine-grained `github_pat_` then 70+ of `[A-Za-z0-9_]` (82 today). A token
    // whose checksum is valid is never taken for a placeholder; see [`github_placeholder`].
    Rule {
        kind: "github_token",
        tier: Tier::Capture,
        trigger: "gh[pousr]_|github_pat_",
        pattern: r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{70,255})(?-u:\b)",
        reject: Some(github_placeholder),
    },
    // GitLab personal, pipeline-trigger, deploy, runner, CI job, feed, incoming-mail, agent, OAuth
    // application, SCIM and feature-flag tokens: prefix then 20+ characters, optionally the
    // `.<9 base36>` tail of routable tokens; and runner registration tokens (`GR1348941…`).
    capture(
        "gitlab_token",
        "gl(?:pat|ptt|dt|rt|cbt|ft|imt|agent|oas|soat|ffct)-|GR1348941",
        r"(?-u:\b)(?:gl(?:pat|ptt|dt|rt|cbt|ft|imt|agent|oas|soat|ffct)-[A-Za-z0-9_-]{20,}(?:\.[0-9a-z]{9})?|GR1348941[A-Za-z0-9_-]{20})",
    ),
    // AWS key id: `AKIA` (long-term), `ASIA` (temporary), `ABIA`, `ACCA` or `A3T?` then 16
    // uppercase alphanumerics. It is only half a credential, but it names the account and pairs
    // with a secret that may sit nearby. The documented `AKIAIOSFODNN7EXAMPLE` is a placeholder.
    capture(
        "aws_access_key_id",
        "AKIA|ASIA|ABIA|ACCA|A3T",
        r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?-u:\b)",
    ),
    // AWS secret key: exactly 40 base64 characters, only right after an `aws_secret_access_key`
    // name (any case, `_` optional) and `=` or `:`. Alone, 40 base64 characters are
    // indistinguishable from hashes and blobs, so the name is what makes it a secret.
    capture(
        "aws_secret_access_key",
        "(?i:aws_?secret)",
        r#"(?i:aws_?secret_?access_?key)\\?["']?\s*[:=]\s*\\?["']?(?P<s>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|\z)"#,
    ),
    // Google API key: `AIza` then exactly 35 of `[A-Za-z0-9_-]`.
    capture(
        "google_api_key",
        "AIza",
        r"(?P<s>AIza[A-Za-z0-9_-]{35})(?:[^A-Za-z0-9_-]|\z)",
    ),
    // Slack bot/user/app/refresh/config tokens: `xox[abeoprs]-` then 20+ of `[A-Za-z0-9-]`, and
    // app-level tokens `xapp-<n>-…`.
    capture(
        "slack_token",
        "xox[abeoprs]-|xapp-",
        r"(?-u:\b)(?:xox[abeoprs]-[A-Za-z0-9-]{20,}|xapp-[0-9]-[A-Za-z0-9-]{20,})",
    ),
    // Slack incoming webhook: the path after `services/` (or `workflows/`, `triggers/`), 20+
    // characters, is the secret; the host stays so a reader knows what was posted to.
    capture(
        "slack_webhook",
        r"hooks\.slack\.com/",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]{20,})",
    ),
    // Stripe secret and restricted keys (live, test or prod) and live publishable keys: prefix then
    // 24+ alphanumerics. The leading boundary keeps identifiers such as `task_test_…` out.
    capture(
        "stripe_key",
        "[sr]k_(?:live|test|prod)_|pk_live_",
        r"(?-u:\b)(?:[sr]k_(?:live|test|prod)|pk_live)_[A-Za-z0-9]{24,}",
    ),
    // Hugging Face user tokens (`hf_` then 34+ alphanumerics; snake_case names stop at their next
    // `_`) and organisation tokens (`api_org_` then 34 letters).
    capture(
        "huggingface_token",
        "hf_|api_org_",
        r"(?-u:\b)(?:hf_[A-Za-z0-9]{34,}|api_org_[A-Za-z]{34})(?-u:\b)",
    ),
    // npm: `npm_` then exactly 36 alphanumerics (30 random and a 6-character CRC32, as GitHub's).
    Rule {
        kind: "npm_token",
        tier: Tier::Capture,
        trigger: "npm_",
        pattern: r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
        reject: Some(github_placeholder),
    },
    // PyPI (and TestPyPI) macaroons: the fixed base64 of their issuer then 50+ characters (real
    // tokens run past 150).
    capture(
        "pypi_token",
        "pypi-AgE",
        r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}",
    ),
    // Twilio API key (`SK`) and account (`AC`) SIDs: 32 hex digits, only with `twilio` earlier on
    // the line, since `SK`/`AC` + hex alone also spells hashes in ids.
    capture(
        "twilio_key",
        "(?i:twilio)",
        r"(?i:twilio)[^\n]{0,80}?(?-u:\b)(?P<s>(?:SK|AC)[0-9a-fA-F]{32})(?-u:\b)",
    ),
    // SendGrid: `SG.` then a 22-character id and a 43-character secret.
    capture(
        "sendgrid_api_key",
        r"SG\.",
        r"(?-u:\b)(?P<s>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|\z)",
    ),
    // Mailgun private keys (`key-` + 32 hex) after `api:` (curl's `--user 'api:key-…'`) or with
    // `mailgun` earlier on the line: `key-<md5>` alone is also a common cache key.
    capture(
        "mailgun_key",
        "key-",
        r"(?:(?i:mailgun)[^\n]{0,80}?|api:)(?-u:\b)(?P<s>key-[0-9a-f]{32})(?-u:\b)",
    ),
    // DigitalOcean personal access, OAuth and refresh tokens: `do[por]_v1_` then 64 hex digits.
    capture(
        "digitalocean_token",
        "do[por]_v1_",
        r"(?-u:\b)do[por]_v1_[a-f0-9]{64}(?-u:\b)",
    ),
    // Shopify access tokens and shared secrets: `shp(at|ca|pa|ss)_` then 32 hex digits.
    capture(
        "shopify_token",
        "shp(?:at|ca|pa|ss)_",
        r"(?-u:\b)shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?-u:\b)",
    ),
    // Azure storage and Service Bus connection strings: the base64 key after `AccountKey=` (88
    // characters) or `SharedAccessKey=` (44).
    capture(
        "azure_storage_key",
        "AccountKey=|SharedAccessKey=",
        r"(?:AccountKey|SharedAccessKey)=(?P<s>[A-Za-z0-9+/]{40,86}={0,2})",
    ),
    // Discord bot tokens: `<base64 of the bot's id>.<6>.<27+>`, the id starting `M`, `N` or `O`.
    capture(
        "discord_token",
        r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.",
        r"(?-u:\b)(?P<s>[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?:[^A-Za-z0-9_-]|\z)",
    ),
    // Discord webhook URLs: the token after the numeric webhook id.
    capture(
        "discord_token",
        r"discord(?:app)?\.com/api/webhooks/",
        r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/(?P<s>[A-Za-z0-9_-]{60,70})(?:[^A-Za-z0-9_-]|\z)",
    ),
    // Telegram bot tokens: the bot's numeric id, `:`, then `AA` and 33 more base64url characters.
    capture(
        "telegram_bot_token",
        ":AA",
        r"(?-u:\b)(?P<s>[0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_-]|\z)",
    ),
    // Square access tokens (`EAAA` + 60) and legacy OAuth secrets (`sq0atp-`, `sq0csp-`).
    capture(
        "square_token",
        "EAAA|sq0(?:atp|csp)-",
        r"(?-u:\b)(?P<s>EAAA[A-Za-z0-9_-]{60}|sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|\z)",
    ),
    // Doppler personal, service, CLI, service-account, SCIM and audit tokens: `dp.<type>.` then
    // 40–44 alphanumerics.
    capture(
        "doppler_token",
        r"dp\.(?:pt|st|ct|sa|scim|audit)\.",
        r"(?-u:\b)dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}(?-u:\b)",
    ),
    // Databricks personal access tokens: `dapi` then 32 hex digits, sometimes `-<digit>`.
    capture(
        "databricks_token",
        "dapi",
        r"(?-u:\b)dapi[a-f0-9]{32}(?:-[0-9])?(?-u:\b)",
    ),
    // Heroku platform keys (`HRKU-AA` then 58 characters).
    capture(
        "heroku_api_key",
        "HRKU-AA",
        r"(?-u:\b)(?P<s>HRKU-AA[A-Za-z0-9_-]{58})(?:[^A-Za-z0-9_-]|\z)",
    ),
    // Legacy Heroku API keys are bare UUIDs: only with `heroku` earlier on the line.
    capture(
        "heroku_api_key",
        "(?i:heroku)",
        r"(?i:heroku)[^\n]{0,60}?(?-u:\b)(?P<s>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?-u:\b)",
    ),
    // Atlassian (Jira, Confluence, Bitbucket) API tokens: `ATATT3` then 186 characters.
    capture(
        "atlassian_api_token",
        "ATATT3",
        r"(?-u:\b)(?P<s>ATATT3[A-Za-z0-9_=-]{186})(?:[^A-Za-z0-9_=-]|\z)",
    ),
    // HashiCorp Vault service (`hvs.`, 90+) and batch (`hvb.`, 138+) tokens.
    capture(
        "vault_token",
        r"hv[sb]\.",
        r"(?-u:\b)(?P<s>hvs\.[A-Za-z0-9_-]{90,120}|hvb\.[A-Za-z0-9_-]{138,300})(?:[^A-Za-z0-9_-]|\z)",
    ),
    // age encryption secret keys: Bech32, `AGE-SECRET-KEY-1` then 58 characters.
    capture(
        "age_secret_key",
        "AGE-SECRET-KEY-1",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
    ),
    // Grafana service-account (`glsa_`) and cloud (`glc_`) tokens.
    capture(
        "grafana_token",
        "gl(?:sa|c)_",
        r"(?-u:\b)(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,3})",
    ),
    // Sentry user (`sntryu_` + 64 hex) and organisation (`sntrys_eyJ…_…`) tokens.
    capture(
        "sentry_token",
        "sntry[us]_",
        r"(?-u:\b)(?:sntryu_[a-f0-9]{64}|sntrys_eyJ[A-Za-z0-9+/=]{40,}_[A-Za-z0-9+/]{43})",
    ),
    // Linear (`lin_api_` + 40), Postman (`PMAK-`), Pulumi (`pul-` + 40 hex) API keys.
    capture(
        "saas_api_key",
        "lin_api_|PMAK-|pul-",
        r"(?-u:\b)(?:lin_api_[A-Za-z0-9]{40}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|pul-[a-f0-9]{40})(?-u:\b)",
    ),
    // JWT: three base64url segments, the header starting `eyJ` (`{"`), with at least 18, 15 and 20
    // characters — the shortest real header (`{"alg":"none"}`) is 19, an HMAC signature 43. Tokens
    // without a signature are skipped: nothing can be forged from them.
    capture(
        "jwt",
        "eyJ",
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{15,}\.[A-Za-z0-9_-]{15,}\.[A-Za-z0-9_-]{20,}",
    ),
    // Credentials in a URL: only the password is redacted, so scheme, user and host stay readable.
    // Template placeholders are not passwords; see [`is_url_placeholder`].
    Rule {
        kind: "url_credentials",
        tier: Tier::Capture,
        trigger: "://",
        pattern: r#"://[^\s:/?#@"'<>\\]*:(?P<s>[^\s@/?#"'<>]+)@"#,
        reject: Some(is_url_placeholder),
    },
    // A password in a JDBC URL's parameters or an ADO.NET/ODBC connection string
    // (`…?user=app&password=…`, `Server=db;Password=…;`).
    capture(
        "connection_string_password",
        "(?i:password=|pwd=)",
        r#"[?&;](?i:password|pwd)=(?P<s>[^&;\s"'<>\\]{3,})"#,
    ),
    // Private key data embedded in a kubeconfig (`client-key-data: <base64 PEM>`).
    capture(
        "kubeconfig_secret",
        "client-key-data",
        r#"client-key-data\\?["']?\s*:\s*\\?["']?(?P<s>[A-Za-z0-9+/]{20,}={0,2})"#,
    ),
    // A registry credential in a docker `config.json`: `"auth": "<base64 of user:password>"`,
    // raw or JSON-escaped.
    capture(
        "docker_config_auth",
        r#""auth\\?""#,
        r#""auth\\?"\s*:\s*\\?"(?P<s>[A-Za-z0-9+/]{8,}={0,2})\\?""#,
    ),
    // `.npmrc` credentials: `_authToken=`, `_auth=` (base64 user:password) or `_password=`, at the
    // start of a line or after a registry's `…/:` (code says `has_username_or_password = …`).
    Rule {
        kind: "npmrc_auth_token",
        tier: Tier::Capture,
        trigger: "_auth|_password",
        pattern: r#"(?:(?m:^)[ \t]*|:|\\n)(?:_authToken|_auth|_password)\s*=\s*["']?(?P<s>[^\s"'$\\]{8,})"#,
        reject: Some(not_a_value),
    },
    // `.netrc` entries: `machine <host> login <user> password <secret>` on one line or several.
    capture(
        "netrc_password",
        "machine",
        r#"(?-u:\b)machine(?:\s|\\[nt])+\S+(?:\s|\\[nt])+login(?:\s|\\[nt])+\S+(?:\s|\\[nt])+password(?:\s|\\[nt])+(?P<s>[^\s\\"']+)"#,
    ),
    // An `Authorization:` header's credentials (`Bearer …`, `Basic …`, `token …`, or a bare key).
    // After every format rule, so a known token inside keeps its own name.
    // The separator is `:` (a header, a JSON or YAML key): `authorization = …` is code assigning a
    // variable, and what it assigns is an expression.
    Rule {
        kind: "authorization_header",
        tier: Tier::Capture,
        trigger: "(?i:authorization)",
        pattern: r#"(?i:authorization)\\?["']?\s*:\s*\\?["']?(?:(?i:bearer|basic|token|digest|apikey)\s+)?(?P<s>[A-Za-z0-9._~+/=-]{8,})"#,
        reject: Some(not_a_value_or_word),
    },
    // A value assigned to a secret-named variable or key (`DB_PASSWORD=…`, `"api_key": "…"`,
    // `client_secret: …`): the name must end with the secret word, so `TOKEN_URL` or
    // `tokenizer` are not names of secrets. Capture keeps only values that look generated; see
    // [`weak_assignment`].
    Rule {
        kind: "generic_secret",
        tier: Tier::Capture,
        trigger: SECRET_NAME_TRIGGER,
        pattern: SECRET_ASSIGNMENT,
        reject: Some(weak_assignment),
    },
    // The egress tier also takes secret-named values that read like words or passphrases.
    Rule {
        kind: "generic_secret",
        tier: Tier::Egress,
        trigger: SECRET_NAME_TRIGGER,
        pattern: SECRET_ASSIGNMENT,
        reject: Some(not_a_value_or_word),
    },
];

/// Every secret word [`SECRET_ASSIGNMENT`] ends a name with.
const SECRET_NAME_TRIGGER: &str =
    "(?i:secret|token|api[_-]?key|apikey|passw|pwd|credential|access[_-]?key|private[_-]?key)";

/// A secret-named variable or key, an assignment (`=`, `:`, `:=`, `=>`, quoted or JSON-escaped) and
/// its value up to the next quote, space, `&`, `@` (a URL's `user:password@host` belongs to the URL
/// rule) or delimiter; a value followed by `(` is a call, not a value.
const SECRET_ASSIGNMENT: &str = r#"(?i:(?-u:\b)[a-z0-9_.-]*?(?:secret(?:[_-]?key)?|token|api[_-]?key|apikey|passw(?:or)?d|pwd|credentials?|access[_-]?key|private[_-]?key))(?-u:\b)\\?["']?\s*(?::=|=>|=|:)\s*\\?["'`]?(?P<s>[^\s"'`\\,;()\[\]{}<>|@&]{8,200})(?:[\s"'`\\,;)\[\]{}<>|@&]|\z)"#;

/// A URL "password" that is really a template slot (`${PASS}`, `$PASS`, `{password}`, `%s`), a
/// mask (`****`) or one of our own markers. Redacting those would hide nothing and, for markers,
/// break idempotence. (`<password>` never gets here: `<` cannot occur in the pattern's password.)
fn is_url_placeholder(password: &str) -> bool {
    let mut chars = password.chars();
    match chars.next() {
        Some('[') => password.starts_with("[REDACTED:"),
        Some('$') => {
            matches!(chars.next(), Some(c) if c == '{' || c == '(' || c == '_' || c.is_ascii_alphabetic())
        }
        Some('{') => password.ends_with('}'),
        Some('%') => password.len() == 2 && chars.all(|c| c.is_ascii_alphabetic()),
        Some('*') => chars.all(|c| c == '*'),
        _ => is_placeholder(password),
    }
}

/// Words and shapes that mark a documented stand-in rather than a credential: the AWS docs'
/// `…EXAMPLE` keys, `sk-...`, `<your-token>`, `xxxxx`, `${VAR}`/`$VAR` references, `changeme`,
/// `your_api_key_here`, masks and our own markers. A random 40-character base62 token spells one
/// of these by chance about once in 130,000 (`your`, `YOUR`, `xxxxx` and `dummy` in any case make
/// up nearly all of it); GitHub and npm tokens are exempt through their checksum.
pub(super) fn is_placeholder(secret: &str) -> bool {
    const WORDS: &[&str] = &[
        "example",
        "placeholder",
        "changeme",
        "change_me",
        "change-me",
        "dummy",
        "redacted",
        "replace_me",
        "replaceme",
        "xxxxx",
        "*****",
        "...",
        "\u{2026}",
        "_here",
        "-here",
        "abcdefghij",
        "notreal",
        "not_a_real",
        "<your",
        "your_",
        "your-",
        // Published documentation examples: Stripe's test key and jwt.io's signature.
        "4eC39HqLyjWDarjtT1zdp7dc",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ];
    let lower = secret.to_ascii_lowercase();
    WORDS
        .iter()
        .any(|word| lower.contains(&word.to_ascii_lowercase()))
        || secret.contains("YOUR")
        || secret.contains("your")
        || secret.contains('<')
        || secret.contains("{{")
        || is_reference(secret)
}

/// A shell, Make or template variable reference (`$VAR`, `${VAR}`, `$(cmd)`, `%VAR%`).
fn is_reference(value: &str) -> bool {
    let mut chars = value.chars();
    match chars.next() {
        Some('$') => {
            matches!(chars.next(), Some(c) if c == '{' || c == '(' || c == '_' || c.is_ascii_alphabetic())
        }
        Some('%') => value.len() > 2 && value.ends_with('%'),
        _ => false,
    }
}

/// Placeholder check for tokens carrying GitHub's CRC32 tail (GitHub and npm): a token whose
/// checksum is valid was issued by the service, whatever its letters happen to spell. A token whose
/// checksum fails is still redacted unless it is a placeholder: a redacted fake costs nothing,
/// while a format change on the issuer's side must not leak real tokens.
fn github_placeholder(token: &str) -> bool {
    !has_valid_checksum(token) && is_placeholder(token)
}

/// Whether a classic GitHub (`ghp_` and co.) or npm token ends in the checksum of its body: the
/// last 6 of its 36 characters are the CRC32 (IEEE) of the first 30, in base62 (`0-9A-Za-z`),
/// zero-padded on the left.
pub(super) fn has_valid_checksum(token: &str) -> bool {
    let Some(body) = token.get(4..).filter(|body| body.len() == 36) else {
        return false;
    };
    let (random, tail) = body.split_at(30);
    checksum_tail(random) == tail.as_bytes()
}

/// The 6 base62 digits GitHub appends to a token's 30-character body: its CRC32 (zlib's).
pub(super) fn checksum_tail(body: &str) -> [u8; 6] {
    base62_6(crc32fast::hash(body.as_bytes()))
}

/// `value` as 6 base62 digits (`0-9A-Za-z`), most significant first; 62⁶ > 2³².
fn base62_6(mut value: u32) -> [u8; 6] {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value % 62) as usize];
        value /= 62;
    }
    out
}

/// Whether a value assigned to a secret-named variable is too weak for the capture tier to call it
/// a secret: a placeholder or expression (see [`not_a_value`]), or not generated-looking. Generated
/// secrets mix letters with digits (a random 16-character base62 string lacks digits 6% of the
/// time; those must then look random by the fallback's word test); code assigns names, paths,
/// calls and English words, and git ids and UUIDs are ids, not secrets.
fn weak_assignment(value: &str) -> bool {
    if not_a_value(value) || is_hex_id(value) {
        return true;
    }
    let has_letter = value.bytes().any(|b| b.is_ascii_alphabetic());
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    if !has_letter {
        return true;
    }
    // Without digits, or shaped like a snake_case identifier (`_bindgen_ty_5`, `user_id_2`), only
    // a run the fallback would call random is a secret.
    let snake = value.contains('_')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !has_digit || snake {
        return !(value.len() >= MIN_EVIDENCE && looks_random(value.as_bytes()));
    }
    shannon(value.as_bytes()) < 3.0 || is_version(value)
}

/// Whether a secret-named "value" is no literal at all: a placeholder, a reference, a boolean or
/// null, a dotted or snake_case identifier (`config.api_key`, `os.environ`), a path, a URL or an
/// option.
/// Both tiers drop these.
fn not_a_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    is_placeholder(value)
        || matches!(
            lower.as_str(),
            "true" | "false" | "null" | "none" | "undefined" | "required" | "optional"
        )
        || value.starts_with(['/', '.', '~', '&', '*', '!', '#', '-', '+', '='])
        || value.contains("://")
        || is_dotted_identifier(value)
}

/// The egress tier's test for a secret-named value: anything [`not_a_value`] keeps, except one
/// plain word shorter than a passphrase (`response`, `authToken`), which code assigns all the time.
fn not_a_value_or_word(value: &str) -> bool {
    let letters_only = value.bytes().all(|b| b.is_ascii_alphabetic());
    let mixed_case = value.bytes().skip(1).any(|b| b.is_ascii_uppercase())
        && value.bytes().any(|b| b.is_ascii_lowercase());
    not_a_value(value) || (letters_only && value.len() < 20 && !(mixed_case && value.len() >= 12))
}

/// What code assigns, never what a generator prints: `snake_case` or `kebab-case` words of letters
/// only, or a path of identifiers (`node.colon2_token`, `crate::__u32`).
fn is_dotted_identifier(value: &str) -> bool {
    let words = value
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'.' | b'_' | b'-'))
        && value.bytes().any(|b| matches!(b, b'.' | b'_' | b'-'));
    let parts: Vec<&str> = value.split("::").flat_map(|part| part.split('.')).collect();
    let path = parts.len() >= 2
        && parts.iter().all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    words || path
}

/// A version (`1.2.3`, `v2.0.1-beta.1`): digits and dots with at most short words.
fn is_version(value: &str) -> bool {
    let value = value.strip_prefix(['v', 'V']).unwrap_or(value);
    value.starts_with(|c: char| c.is_ascii_digit())
        && value.matches('.').count() >= 2
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
}

/// 32+ hex digits (git ids, digests) or a UUID: ids and hashes, which the allowlist keeps.
pub(super) fn is_hex_id(value: &str) -> bool {
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    (hex && matches!(value.len(), 32 | 40 | 64 | 128)) || is_uuid(value)
}

/// `8-4-4-4-12` hex digits.
fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Shannon entropy of `bytes`, in bits per byte.
fn shannon(bytes: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let total = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / total;
            -p * p.log2()
        })
        .sum()
}

/// The kind [`high_entropy_runs`] reports.
pub(super) const HIGH_ENTROPY: &str = "high_entropy";

/// The shortest run [`high_entropy_runs`] considers. Generic credentials are 32 characters or more
/// (AWS secret keys 40, a PKCS#8 ed25519 key's base64 64, most API keys 32–64); below that, random
/// strings and identifiers overlap too much to tell apart without context.
pub(super) const MIN_RUN: usize = 32;

/// The shortest run the egress tier's fallback considers: API keys of 24–31 random characters
/// (Twilio auth tokens, many SaaS keys) have no prefix either. Shorter, random strings and
/// identifiers overlap too much even for a tier whose findings are reviewed.
pub(super) const EGRESS_MIN_RUN: usize = 24;

/// The fewest characters left to judge once hex ids are set aside (see [`looks_random`]).
const MIN_EVIDENCE: usize = 16;

/// A run whose characters model as code text better than this, in tenths of a bit per character
/// pair, is a name, not a secret. See [`looks_random`] for the measurements behind it.
const MAX_WORD_SCORE: i32 = -8;

/// Bytes a run is made of: the base64 and base64url alphabets. `=` is not among them (it only ends
/// a base64 string, as padding), so `NAME=value` splits into a name and a value.
static RUN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-');
        byte += 1;
    }
    table
};

/// The fallback for secrets that carry no name: byte ranges of runs of base64/base64url characters
/// that look random, wherever no context says what they are (e.g. a bare AWS secret key or a PEM
/// body in a shell command).
///
/// A run is a maximal stretch of `[A-Za-z0-9+/_-]` of [`MIN_RUN`]+ characters, plus up to two
/// trailing `=`. It is reported when [`looks_random`] says so, unless it is one of the public,
/// high-entropy things code and tool output are full of: a hash written in base64 (SRI integrity
/// `sha512-…` as in package-lock.json, `sha256=…` in wheel RECORDs, `SHA256:…` SSH fingerprints,
/// `h1:…` in go.sum), a `data:…;base64,` payload, a mangled C++ or Rust symbol, an SSH public key
/// blob (`AAAAC3NzaC1lZDI1NTE5…`), or a line of a PEM certificate, public key, CRL or signature.
///
/// Cost: a table lookup every [`MIN_RUN`] bytes, plus the length of each run such a probe lands in;
/// only runs of 32+ characters (rare in code and prose) are looked at further. On source code that
/// is about 1.7 GB/s.
///
/// `min_run` is [`MIN_RUN`] for the capture tier; the egress tier passes [`EGRESS_MIN_RUN`], so it
/// finds everything capture finds and shorter random strings too.
pub(super) fn high_entropy_runs(text: &str, min_run: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut public_bodies: Option<Vec<(usize, usize)>> = None;
    // Every run of min_run+ bytes covers one of the probes, min_run apart: only the runs under a
    // probe are measured, so most bytes of ordinary text are never looked at.
    let mut probe = min_run - 1;
    while probe < bytes.len() {
        if !RUN_BYTE[bytes[probe] as usize] {
            probe += min_run;
            continue;
        }
        let mut start = probe;
        while start > 0 && RUN_BYTE[bytes[start - 1] as usize] {
            start -= 1;
        }
        let mut i = probe + 1;
        while i < bytes.len() && RUN_BYTE[bytes[i] as usize] {
            i += 1;
        }
        // The next run starts after the byte at `i`, which is not a run byte.
        probe = i + min_run;
        if i - start < min_run {
            continue;
        }
        // An escape right before the run (`\n` in JSON-encoded text) is not part of it.
        if start > 0 && bytes[start - 1] == b'\\' && matches!(bytes[start], b'n' | b'r' | b't') {
            start += 1;
        }
        let mut end = i;
        while end < bytes.len() && end - i < 2 && bytes[end] == b'=' {
            end += 1;
        }
        let run = &bytes[start..i];
        let before = &bytes[..start];
        let known_public = after_hash_label(before)
            || before.ends_with(b"base64,")
            || is_integrity_hash(run)
            || is_mangled_symbol(run)
            || is_ssh_public_key(run)
            || is_harness_id(run)
            || is_encoded_prose(run);
        if !known_public
            && run.len() >= min_run
            && looks_random(run)
            && !is_placeholder(&text[start..i])
            && !public_bodies
                .get_or_insert_with(|| public_pem_bodies(text))
                .iter()
                .any(|&(from, to)| from <= start && end <= to)
        {
            found.push((start, end));
        }
        // Padding may be followed directly by the next run.
        probe = probe.max(end + min_run - 1);
    }
    found
}

/// Whether `run` reads as random data rather than as a name, a path or an id.
///
/// Only runs with both upper- and lower-case letters qualify: secrets in one case only are hex (git
/// ids, hashes) or base32 (`[A-Z2-7]`), which code is full of. Pieces of the run (between
/// `+/_-`) that are hex or decimal ids (4+ characters with a digit, or `0x…`) are set aside, so a
/// git id, a UUID or a URL path with a commit id in it is judged by its words only; at least
/// [`MIN_EVIDENCE`] characters must remain. The remaining `n` characters must then pass two tests.
///
/// * Shannon entropy of at least `3.8 + 0.02·(n − 32)` bits per character, kept between 3.0 and
///   4.5 (3.8 at 32 characters, 3.96 at 40, 4.44 at 64). This drops repetitive runs (`AAAA…`,
///   `0xFFFF_FFFF_…`, the base64 of mostly-zero data). Uniform random strings average 4.56 bits at
///   32 characters, 4.78 at 40 and 5.18 at 64; of 10⁶ each, 4 base64 strings of 32 fell below the
///   threshold, none of 36 or more. Entropy alone cannot tell names from secrets: identifiers
///   and paths of 32–45 characters reach 4.4–4.6 bits (`PropertyNameLongEastAsianWidthV1` 4.33,
///   `com/hsivonen/utf_types/blob/main/COPYRIGHT` 4.60), more than many random 32-character strings.
/// * A word score: how much better a model of code text predicts the characters than uniform
///   random base64 does, in tenths of a bit per adjacent pair. Each pair scores `60 − cost`: the
///   [`CLASS_COST`] of going from one character class (lower, upper, digit, symbol) to the next,
///   plus, for two letters of one word, the [`LETTER_PAIR_BITS`] of the second after the first, or
///   else the bits to pick any member of the second's class. Names and paths score around 0
///   (camelCase changes class rarely and its letter pairs are common); uniform random strings
///   average −25. A run scoring below [`MAX_WORD_SCORE`] (−8) is random. Of 10⁶ uniform random
///   strings each, this misses 0.022% of base64 and 0.004% of alphanumeric ones at 32 characters,
///   0.004% and 0.0007% at 40, 0.0008% at 48, none at 64, and none of 10⁶ PKCS#8 ed25519 keys. In
///   885 MB of sources and documentation (Rust crates, Python, npm, `/usr/include`,
///   `/usr/share/doc`), every run it flags with both cases is base64 data or a hash except about a
///   dozen: acronym-heavy C names (`xmlSecGnuTLSKeyDataRawX509CertId`), ICU data tables, a
///   punycode test vector and Google Docs ids in URLs.
fn looks_random(run: &[u8]) -> bool {
    if !run.iter().any(u8::is_ascii_uppercase) || !run.iter().any(u8::is_ascii_lowercase) {
        return false;
    }
    // The run with its id pieces zeroed out; zero is never a run byte.
    let mut kept = run.to_vec();
    let mut piece_start = 0;
    for index in 0..=run.len() {
        if index < run.len() && run[index].is_ascii_alphanumeric() {
            continue;
        }
        if is_id(&run[piece_start..index]) {
            kept[piece_start..index].fill(0);
        }
        piece_start = index + 1;
    }
    let mut counts = [0u32; 128];
    let mut n = 0u32;
    for &b in kept.iter().filter(|&&b| b != 0) {
        counts[b as usize] += 1;
        n += 1;
    }
    if (n as usize) < MIN_EVIDENCE {
        return false;
    }
    let total = f64::from(n);
    let entropy = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / total;
            -p * p.log2()
        })
        .sum::<f64>();
    let min_entropy = (3.8 + 0.02 * (total - MIN_RUN as f64)).clamp(3.0, 4.5);
    if entropy < min_entropy {
        return false;
    }
    let mut score = 0i32;
    let mut pairs = 0i32;
    for pair in kept.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a == 0 || b == 0 {
            continue;
        }
        let (from, to) = (class(a), class(b));
        let same_word = from <= 1 && to <= 1 && !(from == 0 && to == 1);
        let emission = if same_word {
            let row = LETTER_PAIR_BITS[usize::from(a.to_ascii_lowercase() - b'a')];
            10 * i32::from(row[usize::from(b.to_ascii_lowercase() - b'a')] - b'0')
        } else {
            CLASS_BITS[to]
        };
        score += 60 - CLASS_COST[from][to] - emission;
        pairs += 1;
    }
    pairs > 0 && score < MAX_WORD_SCORE * pairs
}

/// A piece of a run that is an id rather than evidence: 4+ hex digits with at least one decimal
/// digit (commit ids, UUID groups, dates), or `0x` then 4+ hex digits.
fn is_id(piece: &[u8]) -> bool {
    let digits = match piece {
        [b'0', b'x' | b'X', rest @ ..] => rest,
        _ => piece,
    };
    digits.len() >= 4
        && digits.iter().all(u8::is_ascii_hexdigit)
        && (digits.len() < piece.len() || digits.iter().any(u8::is_ascii_digit))
}

/// 0 lower-case letter, 1 upper-case letter, 2 digit, 3 `+/_-`.
fn class(b: u8) -> usize {
    match b {
        b'a'..=b'z' => 0,
        b'A'..=b'Z' => 1,
        b'0'..=b'9' => 2,
        _ => 3,
    }
}

/// Tenths of a bit to pick one member of each class: log2 of 26, 26, 10 and 4.
const CLASS_BITS: [i32; 4] = [47, 47, 33, 20];

/// Tenths of a bit for the class of the next character given the class of the previous one (rows
/// and columns in [`class`] order), measured over the 2.3·10⁷ character pairs of the runs of 8+
/// characters (hex ids set aside) in the Rust crates, Python standard library and npm sources a
/// development machine carries.
const CLASS_COST: [[i32; 4]; 4] = [
    [2, 56, 75, 37],
    [35, 4, 62, 29],
    [48, 52, 5, 22],
    [10, 14, 44, 41],
];

/// Bits (0–9, rounded, capped at 9) for a letter following another letter of the same word
/// (either case; a lower-case letter followed by an upper-case one starts a new word), from the
/// same measurement with add-one smoothing: row is the first letter, column the second. `q` then
/// `u` costs 0 bits; `q` then `x` 9.
const LETTER_PAIR_BITS: [&[u8; 26]; 26] = [
    b"95449859597344959342577669", // a
    b"49674989269379479455399959", // b
    b"38683683594568269463579969", // c
    b"47742739399689569456579989", // d
    b"58446569899553855234867479", // e
    b"49764469299287379445598979", // f
    b"69891976299674689446599978", // g
    b"29762899399868389464496968", // h
    b"56455459999452359643969795", // i
    b"49891999496999379927599999", // j
    b"47761668399686679745687999", // k
    b"27842688398479379965589959", // l
    b"26662889499757439857499999", // m
    b"49433539596486489743669989", // n
    b"76449679696542649255465899", // o
    b"39673896597479359363569979", // p
    b"88855969799667689779099999", // q
    b"38562659397755369443578859", // r
    b"68592875396667549742598959", // s
    b"39582694399678469354599749", // t
    b"65554569499442749333999799", // u
    b"29571598399566679768999599", // v
    b"39764894299573379356999999", // w
    b"49454694499469737752988769", // x
    b"76697899699554629523996999", // y
    b"49790999599678599979989977", // z
];

/// Whether `before` ends with the label of a hash written in base64: `sha256=` (wheel RECORD files),
/// `SHA256:` (SSH key fingerprints), `h1:` (go.sum) and the like.
fn after_hash_label(before: &[u8]) -> bool {
    let Some((&separator, label)) = before.split_last() else {
        return false;
    };
    let label = &label[label.len().saturating_sub(6)..];
    match separator {
        b'=' | b':' => {
            ["sha1", "sha224", "sha256", "sha384", "sha512", "md5"]
                .iter()
                .any(|hash| {
                    label.len() >= hash.len()
                        && label[label.len() - hash.len()..].eq_ignore_ascii_case(hash.as_bytes())
                })
                || (separator == b':' && label.ends_with(b"h1"))
        }
        _ => false,
    }
}

/// A mangled C++ (`_ZN…`, `__ZN…`, also `Z`, `S`, `T`, `L` after `_Z`) or Rust v0 (`_RN…`, `_RI…`)
/// symbol name, as in backtraces, `nm` output and linker errors. (One random base64url string in
/// 40000 starts like this.)
fn is_mangled_symbol(run: &[u8]) -> bool {
    match run {
        [b'_', b'_', b'Z', next, ..] | [b'_', b'Z', next, ..] => b"GNZSTL".contains(next),
        [b'_', b'R', next, ..] => b"NI".contains(next),
        _ => false,
    }
}

/// An id minted by an agent harness or model API (`toolu_01…`, `msg_01…`, `call_…`): transcripts
/// are full of them, they grant nothing, and they link a trace's steps together.
fn is_harness_id(run: &[u8]) -> bool {
    [
        &b"toolu_"[..],
        b"srvtoolu_",
        b"msg_",
        b"req_",
        b"call_",
        b"chatcmpl-",
        b"resp_",
        b"file-",
        b"run_",
    ]
    .iter()
    .any(|prefix| run.starts_with(prefix))
}

/// Base64 of ordinary text (`echo … | base64`, encoded log lines): decodes to printable ASCII
/// with a space every dozen bytes or more. Random key material almost never decodes to printable
/// bytes alone (each byte is printable with probability 0.37).
fn is_encoded_prose(run: &[u8]) -> bool {
    let decoded = decode_base64(run);
    let spaces = decoded.iter().filter(|&&b| b == b' ').count();
    decoded.len() >= 24
        && decoded
            .iter()
            .all(|&b| b.is_ascii_graphic() || matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
        && spaces * 12 >= decoded.len()
}

/// The bytes a base64 or base64url run decodes to (a trailing partial group is dropped).
fn decode_base64(run: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(run.len() / 4 * 3);
    for chunk in run.chunks_exact(4) {
        let mut bits = 0u32;
        for &b in chunk {
            let value = match b {
                b'A'..=b'Z' => b - b'A',
                b'a'..=b'z' => b - b'a' + 26,
                b'0'..=b'9' => b - b'0' + 52,
                b'+' | b'-' => 62,
                _ => 63,
            };
            bits = bits << 6 | u32::from(value);
        }
        out.extend_from_slice(&bits.to_be_bytes()[1..]);
    }
    out
}

/// An SRI integrity value (`sha512-<base64>`, as in package-lock.json): a public hash.
fn is_integrity_hash(run: &[u8]) -> bool {
    [&b"sha1-"[..], b"sha256-", b"sha384-", b"sha512-"]
        .iter()
        .any(|prefix| run.starts_with(prefix))
}

/// The base64 blob of an SSH public key (`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5…`): a 4-byte
/// big-endian length, then a key type beginning `ssh-`, `ecdsa-` or `sk-`.
fn is_ssh_public_key(run: &[u8]) -> bool {
    let Some(head) = run.get(..12) else {
        return false;
    };
    let mut bits = 0u128;
    for &b in head {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return false,
        };
        bits = bits << 6 | u128::from(value);
    }
    let decoded = bits.to_be_bytes();
    let decoded = &decoded[decoded.len() - 9..];
    decoded[..3] == [0, 0, 0]
        && (7..=64).contains(&decoded[3])
        && [&b"ssh-"[..], b"ecdsa", b"sk-"]
            .iter()
            .any(|kind| decoded[4..].starts_with(kind))
}

/// Byte ranges of the bodies of PEM blocks that hold public material (certificates, public keys,
/// CRLs, signatures): between the BEGIN line and the next END line, with no other BEGIN between.
fn public_pem_bodies(text: &str) -> Vec<(usize, usize)> {
    const BEGIN: &str = "-----BEGIN ";
    let mut bodies = Vec::new();
    let mut rest = 0;
    while let Some(found) = text[rest..].find(BEGIN) {
        let label_start = rest + found + BEGIN.len();
        rest = label_start;
        let Some(label_len) = text[label_start..].find("-----") else {
            break;
        };
        let label = &text[label_start..label_start + label_len];
        if label.len() > 40
            || !label
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
            || label.contains("PRIVATE")
            || !["CERTIFICATE", "PUBLIC KEY", "CRL", "SIGNATURE"]
                .iter()
                .any(|public| label.contains(public))
        {
            continue;
        }
        let body_start = label_start + label_len + "-----".len();
        let Some(body_len) = text[body_start..].find("-----END") else {
            break;
        };
        let body = &text[body_start..body_start + body_len];
        if !body.contains(BEGIN.trim_end()) {
            bodies.push((body_start, body_start + body_len));
        }
    }
    bodies
}
