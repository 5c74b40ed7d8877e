//! A minimal blocking HTTP/1.1 client over std::net, enough to talk to the emulator from tests: one request per
//! connection (`Connection: close`), bodies framed by Content-Length or chunked encoding. Using it instead of an
//! HTTP crate keeps the harness free of an async runtime.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Long enough for an emulator started with `--latency-ms`; short enough that a hung emulator fails the test.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON: Null when empty, a JSON string holding the text when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&self.body).into_owned())
        })
    }
}

/// A body to send, with its media type.
pub struct Body<'a> {
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// Sends one request to an `http://host:port/path?query` URL and reads the whole response.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Body<'_>>,
) -> io::Result<Response> {
    let (authority, target) = split_url(url)?;
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;

    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    match &body {
        Some(body) => request.push_str(&format!(
            "Content-Type: {}\r\nContent-Length: {}\r\n",
            body.content_type,
            body.bytes.len()
        )),
        // Servers may refuse a body-carrying method whose length is unknown.
        None if matches!(method, "POST" | "PUT" | "PATCH") => {
            request.push_str("Content-Length: 0\r\n")
        }
        None => {}
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    if let Some(body) = &body {
        stream.write_all(body.bytes)?;
    }
    stream.flush()?;

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// Percent-encodes a query parameter value (everything but RFC 3986's unreserved characters).
pub fn encode_query_value(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Form-encodes `application/x-www-form-urlencoded` pairs.
pub fn encode_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", encode_query_value(key), encode_query_value(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn split_url(url: &str) -> io::Result<(&str, &str)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid(format!("only http:// URLs are supported, not {url}")))?;
    Ok(match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    })
}

fn parse_response(raw: &[u8]) -> io::Result<Response> {
    let head_end =
        find(raw, b"\r\n\r\n").ok_or_else(|| invalid("response ended before its headers did"))?;
    let head = std::str::from_utf8(&raw[..head_end])
        .map_err(|_| invalid("response headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };

    let payload = &raw[head_end + 4..];
    response.body = if response
        .header("transfer-encoding")
        .is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"))
    {
        dechunk(payload)?
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().map_err(|_| invalid("bad Content-Length"))?;
        payload
            .get(..length)
            .ok_or_else(|| invalid("response ended before its Content-Length"))?
            .to_vec()
    } else {
        payload.to_vec()
    };
    Ok(response)
}

fn dechunk(mut payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = find(payload, b"\r\n").ok_or_else(|| invalid("truncated chunk size"))?;
        let size_field =
            std::str::from_utf8(&payload[..line_end]).map_err(|_| invalid("bad chunk size"))?;
        let size_hex = size_field.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| invalid("bad chunk size"))?;
        payload = &payload[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = payload
            .get(..size)
            .ok_or_else(|| invalid("truncated chunk"))?;
        body.extend_from_slice(chunk);
        payload = payload
            .get(size + 2..)
            .ok_or_else(|| invalid("truncated chunk"))?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// A loopback server that answers a fixed script of raw responses, one connection each, and records the requests:
/// lets the harness's clients be tested without the emulator.
#[cfg(test)]
pub(super) mod scripted_server {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::thread;

    /// One request as received: the request line and headers, and the body.
    pub struct Recorded {
        pub head: String,
        pub body: Vec<u8>,
    }

    /// Serves `replies` in order and returns the base URL and a handle yielding the requests.
    pub fn serve(replies: Vec<&'static [u8]>) -> (String, thread::JoinHandle<Vec<Recorded>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = thread::spawn(move || {
            let mut recorded = Vec::new();
            for reply in replies {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                let mut content_length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        content_length = value.trim().parse().unwrap();
                    }
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; content_length];
                reader.read_exact(&mut body).unwrap();
                reader.get_mut().write_all(reply).unwrap();
                recorded.push(Recorded { head, body });
            }
            recorded
        });
        (url, handle)
    }
}

#[cfg(test)]
mod tests {
    use super::scripted_server::{Recorded, serve};
    use super::*;
    use std::thread;

    fn serve_once(reply: &'static [u8]) -> (String, thread::JoinHandle<(String, Vec<u8>)>) {
        let (url, server) = serve(vec![reply]);
        let handle = thread::spawn(move || {
            let Recorded { head, body } = server.join().unwrap().remove(0);
            (head, body)
        });
        (url, handle)
    }

    #[test]
    fn form_post_sends_an_encoded_body_and_reads_a_content_length_response() {
        let (url, server) = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{\"access_token\":\"t1\"}\nignored",
        );
        let form = encode_form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph/.default"),
        ]);
        let response = send(
            "POST",
            &format!("{url}/tenant-a/oauth2/v2.0/token"),
            &[("Accept", "application/json")],
            Some(Body {
                content_type: "application/x-www-form-urlencoded",
                bytes: form.as_bytes(),
            }),
        )
        .unwrap();

        let (head, body) = server.join().unwrap();
        assert!(
            head.starts_with("POST /tenant-a/oauth2/v2.0/token HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(
            head.contains("Content-Type: application/x-www-form-urlencoded\r\n"),
            "{head}"
        );
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "grant_type=client_credentials&scope=https%3A%2F%2Fgraph%2F.default"
        );
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.json(), serde_json::json!({"access_token": "t1"}));
    }

    #[test]
    fn chunked_responses_are_reassembled() {
        let (url, server) = serve_once(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"err\r\na;ext=1\r\nor\":\"gone\"\r\n1\r\n}\r\n0\r\n\r\n",
        );
        let response = send("GET", &format!("{url}/v1.0/groups/x?$select=id"), &[], None).unwrap();
        let (head, _) = server.join().unwrap();
        assert!(
            head.starts_with("GET /v1.0/groups/x?$select=id HTTP/1.1\r\n"),
            "{head}"
        );
        assert_eq!(response.status, 404);
        assert_eq!(response.json(), serde_json::json!({"error": "gone"}));
    }

    #[test]
    fn empty_and_non_json_bodies_are_still_readable() {
        let (url, server) = serve_once(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
        let response = send("DELETE", &format!("{url}/v1.0/groups/x"), &[], None).unwrap();
        server.join().unwrap();
        assert_eq!(
            (response.status, response.json()),
            (204, serde_json::Value::Null)
        );

        let (url, server) = serve_once(b"HTTP/1.1 502 Bad Gateway\r\n\r\nupstream down");
        let response = send("GET", &url, &[], None).unwrap();
        server.join().unwrap();
        assert_eq!(response.json(), serde_json::json!("upstream down"));
    }
}
