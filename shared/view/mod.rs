//! `git trace view`: a local, read-only web view of the evidence.
//!
//! Private by construction: the server binds 127.0.0.1 only, every request must carry the
//! per-run token the printed URL holds (`?t=`), nothing is written, and every page is built from
//! this binary alone (inline CSS and SVG, no script, no asset from the network). Pages read only
//! what they show: the list reads the list cache or the query index, a session page reads that
//! session.

mod pages;

use git2::Repository;
use std::path::{Path, PathBuf};

/// One request, decoded: the path's segments and the query's pairs.
pub struct Request {
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
}

impl Request {
    /// `url` as tiny_http hands it over: `/s/3f9a?t=..&q=..`.
    pub fn parse(url: &str) -> Request {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        Request {
            segments: path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(percent_decode)
                .collect(),
            query: query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (percent_decode(k), percent_decode(&v.replace('+', " ")))
                })
                .collect(),
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&a), Some(&b)) if hex(a).is_some() && hex(b).is_some() => {
                out.push((hex(a).unwrap() * 16 + hex(b).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a request gets back.
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    fn page(body: String) -> Response {
        Response { status: 200, body }
    }

    fn error(status: u16, what: &str) -> Response {
        Response {
            status,
            body: pages::error_page(status, what),
        }
    }
}

/// Answers one request against the repository at `git_dir`. `token` is the run's secret: a
/// request without it gets 403 and nothing else.
pub fn answer(git_dir: &Path, token: &str, url: &str) -> Response {
    let request = Request::parse(url);
    if !same(request.param("t").unwrap_or_default(), token) {
        return Response::error(
            403,
            "this view needs the token from the URL git trace view printed",
        );
    }
    let Ok(repo) = Repository::open(git_dir) else {
        return Response::error(500, "the repository cannot be opened");
    };
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let result = match segments.as_slice() {
        [] => pages::list(&repo, token, &request),
        ["s", id] => pages::session(&repo, token, id),
        ["s", id, step] => match step.parse::<u64>() {
            Ok(step) => pages::step(&repo, token, id, step),
            Err(_) => return Response::error(404, "a step is a number"),
        },
        ["blame", path @ ..] => match checked_path(path) {
            Some(path) => pages::blame(&repo, token, &path),
            None => return Response::error(400, "a path inside the repository, without '..'"),
        },
        ["pr"] => pages::pr(&repo, request.param("range")),
        _ => return Response::error(404, "no such page"),
    };
    match result {
        Ok(body) => Response::page(body),
        Err(e) => Response::error(404, &format!("{e:#}")),
    }
}

/// Compares without stopping at the first difference, so timing says nothing about the token.
fn same(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A repository-relative path from URL segments, refused when it could leave the repository.
fn checked_path(segments: &[&str]) -> Option<String> {
    if segments.is_empty()
        || segments.iter().any(|s| {
            s.is_empty() || *s == "." || *s == ".." || s.contains('\\') || s.contains('\0')
        })
    {
        return None;
    }
    Some(segments.join("/"))
}

/// A fresh token: 128 bits from the OS.
pub fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Serves until the process is stopped; `ready` gets the URL once the socket listens.
pub fn serve(
    git_dir: PathBuf,
    port: u16,
    start: Option<String>,
    ready: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow::anyhow!("the server has no IP address"))?;
    let token = new_token()?;
    let path = start.map(|s| format!("/s/{s}")).unwrap_or_default();
    ready(&format!("http://{addr}{path}/?t={token}"));
    for request in server.incoming_requests() {
        let response = if *request.method() == tiny_http::Method::Get {
            answer(&git_dir, &token, request.url())
        } else {
            Response::error(405, "read-only: GET only")
        };
        let header =
            tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"text/html; charset=utf-8"[..])
                .expect("static header");
        let csp = tiny_http::Header::from_bytes(
            &b"Content-Security-Policy"[..],
            &b"default-src 'none'; style-src 'unsafe-inline'; img-src data:"[..],
        )
        .expect("static header");
        let _ = request.respond(
            tiny_http::Response::from_string(response.body)
                .with_status_code(response.status)
                .with_header(header)
                .with_header(csp),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_decode_and_traversal_is_refused() {
        let r = Request::parse("/blame/src/a%20b.rs?t=abc&q=checkout+flow");
        assert_eq!(r.segments, ["blame", "src", "a b.rs"]);
        assert_eq!(r.param("q"), Some("checkout flow"));
        assert_eq!(checked_path(&["src", "a.rs"]).as_deref(), Some("src/a.rs"));
        assert!(checked_path(&["..", "etc", "passwd"]).is_none());
        let encoded = Request::parse("/blame/%2e%2e/etc/passwd");
        let segs: Vec<&str> = encoded.segments[1..].iter().map(String::as_str).collect();
        assert!(checked_path(&segs).is_none());
        assert!(same("abcd", "abcd") && !same("abce", "abcd") && !same("abc", "abcd"));
    }
}
