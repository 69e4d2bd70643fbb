//! Keeping big and odd content out of steps: large texts go to content-addressed blobs with an
//! excerpt left in the step; binary content is never inlined.

use crate::model::Content;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Texts up to this size are kept inline in the step.
pub(crate) const INLINE_LIMIT: usize = 16 * 1024;
/// Characters of a large text kept in the step as its excerpt (head, then tail).
const EXCERPT_HEAD: usize = 1536;
const EXCERPT_TAIL: usize = 512;

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_binary(text: &str) -> bool {
    text.as_bytes().contains(&0)
}

/// Payloads larger than this (git config `traces.bigFileThreshold`, default 50 MiB, with git's
/// `k`/`m`/`g` suffixes) keep only their excerpt, size and digest: the file itself is in the
/// snapshot when the agent wrote it, and a huge tool output is not worth a second copy.
const BIG_FILE_DEFAULT: u64 = 50 << 20;

fn big_file_threshold(repo: &git2::Repository) -> u64 {
    repo.config()
        .and_then(|c| c.get_i64("traces.bigFileThreshold"))
        .ok()
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(BIG_FILE_DEFAULT)
}

/// Content for a text: inline when small, else an excerpt and the whole text as a git blob.
pub(crate) fn content(repo: &git2::Repository, text: &str) -> Result<Content, git2::Error> {
    let binary = is_binary(text);
    if !binary && text.len() <= INLINE_LIMIT {
        return Ok(Content {
            text: text.to_string(),
            bytes: text.len() as u64,
            ..Content::default()
        });
    }
    let kept = (text.len() as u64 <= big_file_threshold(repo))
        .then(|| repo.blob(text.as_bytes()))
        .transpose()?;
    Ok(Content {
        text: if binary { String::new() } else { excerpt(text) },
        bytes: text.len() as u64,
        blob: Some(sha256_hex(text.as_bytes())),
        blob_oid: kept.map(|oid| oid.to_string()),
        binary,
    })
}

/// The head and tail of a long text, cut on character boundaries, with the elision marked.
pub(crate) fn excerpt(text: &str) -> String {
    if text.len() <= EXCERPT_HEAD + EXCERPT_TAIL {
        return text.to_string();
    }
    let mut head_end = EXCERPT_HEAD;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - EXCERPT_TAIL;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!(
        "{}\n[… {} bytes elided …]\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

/// Replaces every long string inside a tool input by its excerpt, moving the full text to a blob
/// whose reference is returned, so a `Write` of a large file does not bloat the journal.
pub(crate) fn shrink_strings(
    repo: &git2::Repository,
    value: &mut Value,
    blobs: &mut Vec<Content>,
) -> Result<(), git2::Error> {
    match value {
        Value::String(s) if s.len() > INLINE_LIMIT || is_binary(s) => {
            let c = content(repo, s)?;
            let place = if c.blob_oid.is_some() {
                "in blobs/"
            } else {
                "over traces.bigFileThreshold, not kept; sha256 "
            };
            *s = format!(
                "{}\n[full text: {} bytes {place}{}]",
                c.text,
                c.bytes,
                c.blob.as_deref().unwrap_or_default()
            );
            blobs.push(c);
        }
        Value::Array(items) => {
            for item in items {
                shrink_strings(repo, item, blobs)?;
            }
        }
        Value::Object(map) => {
            for (_, v) in map.iter_mut() {
                shrink_strings(repo, v, blobs)?;
            }
        }
        _ => {}
    }
    Ok(())
}

pub(crate) use crate::render::first_line;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        let text = "é".repeat(5000);
        let e = excerpt(&text);
        assert!(e.contains("bytes elided"));
        assert!(e.len() < 2200);
    }

    #[test]
    fn first_line_skips_blank_lines_and_truncates() {
        assert_eq!(first_line("\n\n  hello world\nsecond", 100), "hello world");
        assert_eq!(first_line("abcdef", 4), "abc…");
    }
}
