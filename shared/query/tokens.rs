//! Turning text into search terms.
//!
//! A term is a lowercase run of letters, digits and `_` (`run_tests`, `calc`), or a whole path-like
//! word (`src/cart.rs`, `calc.py`): people search for file names as often as for words, and
//! splitting `src/cart.rs` into `src`, `cart` and `rs` would match every Rust file. Paths a step
//! names are indexed whole, by component and by word.

/// Words longer than this are hashes, base64 or minified code: never searched for, only noise.
const MAX_WORD: usize = 64;
/// Path-like words longer than this are not paths.
const MAX_PATH: usize = 256;

/// Calls `f` with each lowercase word of `text`.
pub fn words(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    let mut flush = |word: &mut String| {
        if !word.is_empty() && word.len() <= MAX_WORD {
            f(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.extend(c.to_lowercase());
        } else {
            flush(&mut word);
        }
    }
    flush(&mut word);
}

/// `chunk` as a path term when it looks like one: trimmed of quotes and punctuation around it,
/// with a `/` or an inner `.` between word characters.
fn path_like(chunk: &str) -> Option<String> {
    let part = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/');
    let trimmed = chunk.trim_matches(|c: char| !part(c)).trim_end_matches('.');
    let inner_dot = trimmed.trim_start_matches('.').contains('.');
    let ok = (trimmed.contains('/') || inner_dot)
        && trimmed.len() <= MAX_PATH
        && trimmed.chars().all(part)
        && trimmed.chars().any(char::is_alphanumeric);
    ok.then(|| trimmed.to_lowercase())
}

/// Calls `f` with every term of free text: its words and its path-like words.
pub fn text_terms(text: &str, mut f: impl FnMut(&str)) {
    words(text, &mut f);
    for chunk in text.split_whitespace() {
        if let Some(path) = path_like(chunk) {
            f(&path);
        }
    }
}

/// Calls `f` with every term of a path a step names: the whole path, each component, each word.
pub fn path_terms(path: &str, mut f: impl FnMut(&str)) {
    let lower = path.to_lowercase();
    f(&lower);
    for component in lower.split('/').filter(|c| !c.is_empty()) {
        if component != lower {
            f(component);
        }
    }
    words(&lower, f);
}

/// The distinct terms of a query: a path-like word is one term, anything else its words.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for chunk in query.split_whitespace() {
        match path_like(chunk) {
            Some(path) => out.push(path),
            None => words(chunk, |w| out.push(w.to_string())),
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(f: impl Fn(&mut dyn FnMut(&str))) -> Vec<String> {
        let mut out = Vec::new();
        f(&mut |t: &str| out.push(t.to_string()));
        out
    }

    #[test]
    fn text_yields_words_and_paths() {
        let got = collect(|f| text_terms("Fix add() in `calc.py`, then run_tests.", f));
        assert_eq!(
            got,
            [
                "fix",
                "add",
                "in",
                "calc",
                "py",
                "then",
                "run_tests",
                "calc.py"
            ]
        );
    }

    #[test]
    fn paths_yield_whole_components_and_words() {
        let got = collect(|f| path_terms("src/Cart.rs", f));
        assert_eq!(got, ["src/cart.rs", "src", "cart.rs", "src", "cart", "rs"]);
    }

    #[test]
    fn query_keeps_paths_whole_and_dedups() {
        assert_eq!(
            query_terms("Checkout flow src/cart.rs checkout"),
            ["checkout", "flow", "src/cart.rs"]
        );
        assert!(query_terms("  ... ").is_empty());
    }
}
