//! The detection rules, one per kind of secret.
//!
//! Each rule names a `trigger`, a short regex every one of its matches contains. The scanner joins
//! all triggers into one prefilter, so a text without any trigger costs a single literal search and
//! the rules themselves never run on it. Adding a rule means adding its trigger too.
//!
//! Minimum lengths sit between what ordinary code produces (identifiers, test dummies such as
//! `sk-ant-lab-dummy`) and the shortest real credential of each format. A pattern with a group named
//! `s` redacts only that group, so the surrounding context stays readable.
//!
//! Boundaries are written `(?-u:\b)` (ASCII): a Unicode `\b` would force the regex crate off its
//! fast DFA on non-ASCII text, and tool outputs are often non-ASCII.

/// One kind of secret and how to find it.
pub(super) struct Rule {
    pub(super) kind: &'static str,
    /// A regex every match of `pattern` contains; the prefilter is their alternation.
    pub(super) trigger: &'static str,
    pub(super) pattern: &'static str,
    /// Drops matches that have the shape of a secret but are placeholders (or our own markers).
    pub(super) reject: Option<fn(&str) -> bool>,
}

/// The rules in priority order: when two findings cover the same bytes, the earlier rule names it.
pub(super) const RULES: &[Rule] = &[
    // A PEM private key block. The BEGIN line must be followed by key material (a base64 run of
    // 16+ characters, or the `Proc-Type:` header of an encrypted PEM): code that merely names the
    // header (parsers, tests) would otherwise lose everything after it, since a block without an END
    // line is redacted to the end of the text. Line breaks may be real or JSON-escaped (`\n`).
    Rule {
        kind: "private_key",
        trigger: "-----BEGIN",
        pattern: r"(?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|\s)+(?:Proc-Type:|[A-Za-z0-9+/=]{16}).*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
        reject: None,
    },
    // Anthropic: `sk-ant-` then 40+ of `[A-Za-z0-9_-]`; real keys (`sk-ant-api03-…`,
    // `sk-ant-oat01-…`) carry about 100, test-harness dummies far fewer.
    Rule {
        kind: "anthropic_api_key",
        trigger: "sk-ant-",
        pattern: r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{40,}",
        reject: None,
    },
    // OpenAI: `sk-proj-`, `sk-svcacct-` or `sk-admin-` then 40+ of `[A-Za-z0-9_-]`, or the legacy
    // `sk-` then exactly 48 alphanumerics. Neither form can match `sk-ant-…` (the legacy body has
    // no `-`), so Anthropic keys are never misnamed.
    Rule {
        kind: "openai_api_key",
        trigger: "sk-",
        pattern: r"(?-u:\b)sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{48}(?-u:\b))",
        reject: None,
    },
    // GitHub: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` then 36+ alphanumerics (36 today; GitHub reserves
    // room to grow), or fine-grained `github_pat_` then 70+ of `[A-Za-z0-9_]` (82 today).
    Rule {
        kind: "github_token",
        trigger: "gh[pousr]_|github_pat_",
        pattern: r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{70,255})(?-u:\b)",
        reject: None,
    },
    // GitLab personal, pipeline-trigger, deploy and runner tokens: prefix then 20+ characters.
    Rule {
        kind: "gitlab_token",
        trigger: "gl(?:pat|ptt|dt|rt)-",
        pattern: r"(?-u:\b)gl(?:pat|ptt|dt|rt)-[A-Za-z0-9_-]{20,}",
        reject: None,
    },
    // AWS key id: `AKIA`/`ASIA` then exactly 16 uppercase alphanumerics. It is only half a
    // credential, but it names the account and pairs with a secret that may sit nearby.
    Rule {
        kind: "aws_access_key_id",
        trigger: "AKIA|ASIA",
        pattern: r"(?-u:\b)(?:AKIA|ASIA)[A-Z0-9]{16}(?-u:\b)",
        reject: None,
    },
    // AWS secret key: exactly 40 base64 characters, only right after an `aws_secret_access_key`
    // name (any case, `_` optional) and `=` or `:`. Alone, 40 base64 characters are
    // indistinguishable from hashes and blobs, so the name is what makes it a secret.
    Rule {
        kind: "aws_secret_access_key",
        trigger: "(?i:aws_?secret)",
        pattern: r#"(?i:aws_?secret_?access_?key)\\?["']?\s*[:=]\s*\\?["']?(?P<s>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|\z)"#,
        reject: None,
    },
    // Google API key: `AIza` then exactly 35 of `[A-Za-z0-9_-]`.
    Rule {
        kind: "google_api_key",
        trigger: "AIza",
        pattern: r"(?P<s>AIza[A-Za-z0-9_-]{35})(?:[^A-Za-z0-9_-]|\z)",
        reject: None,
    },
    // Slack bot/user/app/refresh tokens: `xox[abprs]-` then 20+ of `[A-Za-z0-9-]`.
    Rule {
        kind: "slack_token",
        trigger: "xox[abprs]-",
        pattern: r"(?-u:\b)xox[abprs]-[A-Za-z0-9-]{20,}",
        reject: None,
    },
    // Slack incoming webhook: the path after `services/` (or `workflows/`, `triggers/`), 20+
    // characters, is the secret; the host stays so a reader knows what was posted to.
    Rule {
        kind: "slack_webhook",
        trigger: r"hooks\.slack\.com/",
        pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]{20,})",
        reject: None,
    },
    // Stripe secret and restricted keys, live or test: prefix then 24+ alphanumerics. The leading
    // boundary keeps identifiers such as `task_test_…` out.
    Rule {
        kind: "stripe_key",
        trigger: "[sr]k_(?:live|test)_",
        pattern: r"(?-u:\b)[sr]k_(?:live|test)_[A-Za-z0-9]{24,}",
        reject: None,
    },
    // Hugging Face: `hf_` then 34+ alphanumerics (real tokens have 34; snake_case names stop at
    // their next `_`).
    Rule {
        kind: "huggingface_token",
        trigger: "hf_",
        pattern: r"(?-u:\b)hf_[A-Za-z0-9]{34,}(?-u:\b)",
        reject: None,
    },
    // npm: `npm_` then exactly 36 alphanumerics.
    Rule {
        kind: "npm_token",
        trigger: "npm_",
        pattern: r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
        reject: None,
    },
    // PyPI (and TestPyPI) macaroons: the fixed base64 of their issuer then 50+ characters (real
    // tokens run past 150).
    Rule {
        kind: "pypi_token",
        trigger: "pypi-AgE",
        pattern: r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}",
        reject: None,
    },
    // Credentials in a URL: only the password is redacted, so scheme, user and host stay readable.
    // Template placeholders are not passwords; see [`is_url_placeholder`].
    Rule {
        kind: "url_credentials",
        trigger: "://",
        pattern: r#"://[^\s:/?#@"'<>\\]*:(?P<s>[^\s@/?#"'<>]+)@"#,
        reject: Some(is_url_placeholder),
    },
    // JWT: three base64url segments, the header starting `eyJ` (`{"`), with at least 18, 15 and 20
    // characters — the shortest real header (`{"alg":"none"}`) is 19, an HMAC signature 43. Tokens
    // without a signature are skipped: nothing can be forged from them.
    Rule {
        kind: "jwt",
        trigger: "eyJ",
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_-]{15,}\.[A-Za-z0-9_-]{15,}\.[A-Za-z0-9_-]{20,}",
        reject: None,
    },
];

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
        _ => false,
    }
}
