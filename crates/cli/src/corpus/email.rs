//! Raw e-mails (RFC 822 text, as the SpamAssassin corpus stores them) to the short plain text a
//! classifier reads: the subject and the readable body, without headers, MIME part headers,
//! base64 blocks, quoted-printable escapes or HTML.

/// The subject and readable body of `raw`, whitespace collapsed and cut at a word boundary to at
/// most `max_chars` characters; `None` when nothing readable is left.
pub fn email_text(raw: &str, max_chars: usize) -> Option<String> {
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let subject = headers
        .lines()
        .find_map(|l| {
            l.strip_prefix("Subject:")
                .or_else(|| l.strip_prefix("subject:"))
        })
        .unwrap_or("")
        .trim();
    let body = decode_quoted_printable(body);
    let kept: Vec<&str> = body.lines().filter(|l| !is_mime_noise(l)).collect();
    let text = format!("{subject}\n{}", strip_html(&kept.join("\n")));
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for word in words {
        if out.chars().count() + word.chars().count() + 1 > max_chars {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    (out.chars().filter(|c| c.is_alphabetic()).count() >= 10).then_some(out)
}

/// MIME boundaries and part headers, and lines of a base64 block.
fn is_mime_noise(line: &str) -> bool {
    let t = line.trim();
    let lower = t.to_ascii_lowercase();
    t.starts_with("--")
        || [
            "content-type:",
            "content-transfer-encoding:",
            "content-disposition:",
            "mime-version:",
            "charset=",
        ]
        .iter()
        .any(|h| lower.starts_with(h))
        || (t.len() >= 40
            && !t.contains(' ')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)))
}

/// `=` + newline joins lines; `=XX` is the byte XX (decoded as UTF-8, or Latin-1 when it is not).
fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'=', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out.clone()).unwrap_or_else(|_| out.iter().map(|&b| b as char).collect())
}

/// Tags removed (`<br>` and block ends become spaces), the common entities decoded, style and
/// script contents dropped.
fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let lower = after.get(..8).unwrap_or(after).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<style") || lower.starts_with("<script") {
            let close = if lower.starts_with("<style") {
                "</style>"
            } else {
                "</script>"
            };
            after
                .to_ascii_lowercase()
                .find(close)
                .map(|e| e + close.len())
        } else {
            after.find('>').map(|e| e + 1)
        };
        match skip_to {
            Some(end) => {
                out.push(' ');
                rest = &after[end..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_subject_and_the_readable_body() {
        let raw = "From: a@b.c\nSubject: Cheap meds now\nContent-Type: multipart/alternative; boundary=\"XX\"\n\n\
                   --XX\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: quoted-printable\n\n\
                   Buy n=\now, it is =46REE!\n--XX\nContent-Type: text/html\n\n\
                   <html><style>p {color: red}</style><p>Click&nbsp;<b>here</b> &amp; save</p></html>\n--XX--\n";
        let text = email_text(raw, 500).unwrap();
        assert_eq!(
            text,
            "Cheap meds now Buy now, it is FREE! Click here & save"
        );
    }

    #[test]
    fn drops_base64_blocks_and_cuts_at_a_word() {
        let block = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg==";
        let raw = format!(
            "Subject: hello there\n\nSee the attached picture of the garden.\n{block}\n{block}\n"
        );
        let text = email_text(&raw, 30).unwrap();
        assert_eq!(text, "hello there See the attached");
        assert!(email_text("Subject: x\n\n<img src=a.png>", 100).is_none());
    }
}
