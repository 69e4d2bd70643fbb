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
//! Secrets without a recognisable prefix or name, such as a bare AWS secret key or the body of a PEM
//! key passed alone to a command, are left to [`high_entropy_runs`], a fallback that needs no
//! trigger: it reports long base64-alphabet runs that look random rather than like names, paths or
//! ids, and only where no rule above found something.
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

/// The kind [`high_entropy_runs`] reports.
pub(super) const HIGH_ENTROPY: &str = "high_entropy";

/// The shortest run [`high_entropy_runs`] considers. Generic credentials are 32 characters or more
/// (AWS secret keys 40, a PKCS#8 ed25519 key's base64 64, most API keys 32–64); below that, random
/// strings and identifiers overlap too much to tell apart without context.
const MIN_RUN: usize = 32;

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
pub(super) fn high_entropy_runs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut public_bodies: Option<Vec<(usize, usize)>> = None;
    // Every run of MIN_RUN+ bytes covers one of the probes, MIN_RUN apart: only the runs under a
    // probe are measured, so most bytes of ordinary text are never looked at.
    let mut probe = MIN_RUN - 1;
    while probe < bytes.len() {
        if !RUN_BYTE[bytes[probe] as usize] {
            probe += MIN_RUN;
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
        probe = i + MIN_RUN;
        if i - start < MIN_RUN {
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
            || is_ssh_public_key(run);
        if !known_public
            && run.len() >= MIN_RUN
            && looks_random(run)
            && !public_bodies
                .get_or_insert_with(|| public_pem_bodies(text))
                .iter()
                .any(|&(from, to)| from <= start && end <= to)
        {
            found.push((start, end));
        }
        // Padding may be followed directly by the next run.
        probe = probe.max(end + MIN_RUN - 1);
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
