//! GCIDE, the GNU dictionary, as dictd ships it: an index of base64 offsets into the dictionary
//! text, whose entries are reduced to their definitions.

use std::collections::BTreeMap;

/// Decodes a dictd index number (base64 digits, most significant first).
fn dictd_number(s: &str) -> Option<usize> {
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    s.bytes().try_fold(0usize, |acc, b| {
        let d = DIGITS.iter().position(|&x| x == b)?;
        acc.checked_mul(64)?.checked_add(d)
    })
}

/// The definitions of every GCIDE entry, in dictionary order, one string per entry with a paragraph
/// per definition. Entries come from the dictd index (`headword<TAB>offset<TAB>length`, base64); an
/// entry listed under several headwords is taken once; the `00-database-*` entries are skipped.
pub fn gcide_entries(index: &str, dict: &str) -> Result<Vec<String>, String> {
    let mut spans = BTreeMap::new();
    for (n, line) in index.lines().enumerate() {
        let mut cols = line.split('\t');
        let (Some(head), Some(off), Some(len)) = (cols.next(), cols.next(), cols.next()) else {
            return Err(format!(
                "line {}: expected headword, offset and length",
                n + 1
            ));
        };
        if head.starts_with("00-database") || head.starts_with("00database") {
            continue;
        }
        let (Some(off), Some(len)) = (dictd_number(off), dictd_number(len)) else {
            return Err(format!("line {}: bad base64 offset or length", n + 1));
        };
        spans.insert(off, len);
    }
    let mut out = Vec::new();
    for (off, len) in spans {
        let entry = off
            .checked_add(len)
            .and_then(|end| dict.get(off..end))
            .ok_or_else(|| {
                format!("entry at byte {off} (+{len}) lies outside the dictionary text")
            })?;
        let defs = gcide_definitions(entry);
        if !defs.is_empty() {
            out.push(defs.join("\n\n"));
        }
    }
    Ok(out)
}

/// The definitions of one GCIDE entry: the header (headword, pronunciation, part of speech, and an
/// etymology in brackets that may wrap) is dropped, as are `[1913 Webster]`-style source lines,
/// `--Author` citations, `Syn:` lists, sense numbers and `{}` markup.
pub fn gcide_definitions(entry: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        let p = clean_gcide_paragraph(current);
        if !p.is_empty() {
            paragraphs.push(p);
        }
        current.clear();
    };
    // Inside a header (an unindented line starting the entry or a sub-entry), counting open brackets
    // so that a wrapped etymology is skipped with it.
    let mut header_depth: Option<i32> = None;
    for line in entry.lines() {
        let t = line.trim();
        let unindented = !t.is_empty() && !line.starts_with(char::is_whitespace);
        if unindented {
            flush(&mut current);
            header_depth = Some(0);
        }
        if let Some(depth) = header_depth.as_mut() {
            *depth += line.matches('[').count() as i32 - line.matches(']').count() as i32;
            if *depth <= 0 || t.is_empty() {
                header_depth = None;
            }
            continue;
        }
        if t.is_empty() || (t.starts_with('[') && t.ends_with(']')) {
            // A blank line or a source tag such as [1913 Webster] closes a definition.
            flush(&mut current);
        } else {
            // An `--Author.` citation runs to the end of its line.
            let t = t
                .find("--")
                .filter(|&i| t[i + 2..].starts_with(char::is_uppercase))
                .map_or(t, |i| &t[..i]);
            current.push_str(t);
            current.push(' ');
        }
    }
    flush(&mut current);
    paragraphs
}

fn clean_gcide_paragraph(p: &str) -> String {
    let p = p.trim();
    // A sub-entry's own header (`Stalactitical \Stal`ac*tit"ic*al\, a.`) carries a pronunciation.
    if p.starts_with("Syn:") || p.starts_with("Syn.") || p.matches('\\').count() >= 2 {
        return String::new();
    }
    // Bracketed etymologies, usage labels and source tags ([Obs.], [1913 Webster]); an unclosed
    // bracket runs to the end.
    let mut depth = 0usize;
    let unbracketed: String = p
        .chars()
        .filter(|&c| {
            match c {
                '[' => depth += 1,
                ']' if depth > 0 => {
                    depth -= 1;
                    return false;
                }
                _ => {}
            }
            depth == 0
        })
        .collect();
    let p = unbracketed.split_whitespace().collect::<Vec<_>>().join(" ");
    // Leading sense markers: "1.", "2. (a)", "(Zool.)".
    let mut rest = p.as_str();
    loop {
        let t = rest.trim_start();
        let number = t
            .find(". ")
            .filter(|&i| i <= 3 && t[..i].chars().all(|c| c.is_ascii_digit()));
        let paren = t
            .strip_prefix('(')
            .and_then(|s| s.find(')'))
            .filter(|&i| i <= 20);
        if let Some(i) = number {
            rest = &t[i + 1..];
        } else if let Some(i) = paren {
            rest = &t[i + 2..];
        } else {
            rest = t;
            break;
        }
    }
    rest.replace(['{', '}'], "")
        .replace(" .", ".")
        .replace(" ,", ",")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictd_numbers_are_base64() {
        assert_eq!(dictd_number("A"), Some(0));
        assert_eq!(dictd_number("BA"), Some(64));
        assert_eq!(dictd_number("5I"), Some(57 * 64 + 8));
        assert_eq!(dictd_number("!"), None);
    }

    #[test]
    fn gcide_entries_keep_definitions_only() {
        let dict = "00-database-info\n   GPL blurb\n\
                    Abdomen \\Ab*do\"men\\, n. [L. abdomen (a word of uncertain\n   etymol.): cf. F. abdomen.]\n   \
                    1. (Anat.) The belly, or that part of the body\n      between the thorax and the pelvis. [Obs.]\n      \
                    [1913 Webster]\n\n   2. (Zool.) The posterior section of the body. --Cuvier.\n      \
                    [1913 Webster]\n\n   Syn: belly, paunch.\n\nAbdominous \\Ab*dom\"i*nous\\, a.\n   Potbellied. [Obs.\n";
        let first = dict.find("Abdomen").unwrap();
        let index = format!(
            "00-database-info\tA\t{}\nAbdomen\t{}\t{}\nabdomen\t{}\t{}\n",
            enc(first),
            enc(first),
            enc(dict.len() - first),
            enc(first),
            enc(dict.len() - first)
        );
        let entries = gcide_entries(&index, dict).unwrap();
        assert_eq!(
            entries,
            vec![
                "The belly, or that part of the body between the thorax and the pelvis.\n\n\
                  The posterior section of the body.\n\nPotbellied."
            ]
        );
        assert!(gcide_entries("Abdomen\tA\tzzzz\n", dict).is_err());
        assert!(gcide_entries("broken line\n", dict).is_err());
    }

    fn enc(mut n: usize) -> String {
        const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = Vec::new();
        loop {
            s.push(DIGITS[n % 64]);
            n /= 64;
            if n == 0 {
                break;
            }
        }
        s.reverse();
        String::from_utf8(s).unwrap()
    }
}
