//! A small static file server for the built book (`cargo course book
//! --serve`): loopback only, GET and HEAD, one thread per connection. It
//! needs nothing beyond the standard library, so serving works offline and
//! costs no build time.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// The MIME type of a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" | "md" | "toml" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The file below `root` that a request path names, or `None` when it
/// leaves `root` or does not exist. A folder serves its `index.html`.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(path);
    let mut out = root.to_path_buf();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    out.is_file().then_some(out)
}

fn respond(stream: &mut TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // Read (and ignore) the headers.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    if method != "GET" && method != "HEAD" {
        let msg = "method not allowed\n";
        write!(
            stream,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{msg}",
            msg.len()
        )?;
        return Ok(());
    }
    let (status, file) = match resolve(root, target) {
        Some(f) => ("200 OK", Some(f)),
        None => ("404 Not Found", resolve(root, "/404.html")),
    };
    let (body, ctype) = match &file {
        Some(f) => (std::fs::read(f)?, content_type(f)),
        None => (b"not found\n".to_vec(), "text/plain; charset=utf-8"),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method == "GET" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

/// Binds `127.0.0.1:port` (0: any free port) and returns the listener and
/// the URL it serves.
pub fn bind(port: u16) -> Result<(TcpListener, String), String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    Ok((listener, format!("http://{addr}/")))
}

/// Serves `root` until the process is stopped.
pub fn serve(listener: TcpListener, root: PathBuf) -> Result<(), String> {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = respond(&mut stream, &root);
        });
    }
    Ok(())
}

/// Opens `url` in the desktop's browser, if there is one.
pub fn open(url: &str) {
    let tried = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).spawn()
    } else if cfg!(windows) {
        std::process::Command::new("cmd")
            .args(["/C", "start", "", url])
            .spawn()
    } else {
        std::process::Command::new("xdg-open").arg(url).spawn()
    };
    if tried.is_err() {
        eprintln!("course book: could not open a browser; open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn serves_files_folders_and_404_but_nothing_outside_the_root() {
        let dir = std::env::temp_dir()
            .join(format!("course-serve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("site/sub")).unwrap();
        std::fs::write(dir.join("site/index.html"), "home").unwrap();
        std::fs::write(dir.join("site/sub/a b.svg"), "<svg/>").unwrap();
        std::fs::write(dir.join("site/404.html"), "missing").unwrap();
        std::fs::write(dir.join("secret.txt"), "no").unwrap();
        let root = dir.join("site");
        assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
        assert_eq!(
            resolve(&root, "/sub/a%20b.svg?x=1#y"),
            Some(root.join("sub/a b.svg"))
        );
        assert_eq!(resolve(&root, "/../secret.txt"), None);
        assert_eq!(resolve(&root, "/nope.html"), None);

        let (listener, url) = bind(0).unwrap();
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        let addr = addr.to_string();
        std::thread::spawn(move || serve(listener, root));
        let get = |path: &str| {
            let mut s = TcpStream::connect(&addr).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        };
        let home = get("/");
        assert!(home.starts_with("HTTP/1.1 200 OK"), "{home}");
        assert!(home.contains("text/html") && home.ends_with("home"));
        let svg = get("/sub/a%20b.svg");
        assert!(svg.contains("image/svg+xml") && svg.ends_with("<svg/>"));
        let missing = get("/nope");
        assert!(
            missing.starts_with("HTTP/1.1 404") && missing.ends_with("missing")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
