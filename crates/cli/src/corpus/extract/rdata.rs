//! R's lazy-load databases (janeaustenr's `Rdata.rdx` / `Rdata.rdb`): just enough of R's XDR
//! serialization to read character vectors by name.

use std::io::Read;

/// Reads an R lazy-load database (`Rdata.rdx` index, gzip; `Rdata.rdb` chunks, each a 4-byte length
/// followed by a zlib stream of a serialized object) and returns every object that is a character
/// vector, by name, in index order.
pub fn rdata_character_vectors(
    rdx: &[u8],
    rdb: &[u8],
) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut index = Vec::new();
    flate2::read::GzDecoder::new(rdx)
        .read_to_end(&mut index)
        .map_err(|e| format!("Rdata.rdx: {e}"))?;
    let RObject::List(parts, names) = RReader::new(&index).read_all()? else {
        return Err("Rdata.rdx: the index is not a list".into());
    };
    let variables = names
        .iter()
        .position(|n| n == "variables")
        .and_then(|i| parts.get(i))
        .ok_or("Rdata.rdx: no `variables` entry")?;
    let RObject::List(spans, var_names) = variables else {
        return Err("Rdata.rdx: `variables` is not a list".into());
    };
    let mut out = Vec::new();
    for (name, span) in var_names.iter().zip(spans) {
        let RObject::Ints(span) = span else {
            return Err(format!("Rdata.rdx: `{name}` has no (offset, length) pair"));
        };
        let [off, len] = span[..] else {
            return Err(format!("Rdata.rdx: `{name}` has no (offset, length) pair"));
        };
        let (off, len) = (off as usize, len as usize);
        let chunk = off
            .checked_add(len)
            .and_then(|end| rdb.get(off..end))
            .filter(|c| c.len() > 4)
            .ok_or_else(|| {
                format!("Rdata.rdb: `{name}` at {off} (+{len}) lies outside the file")
            })?;
        if chunk[4] != 0x78 {
            return Err(format!(
                "Rdata.rdb: `{name}` is not zlib-compressed (only R's default compression is read)"
            ));
        }
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&chunk[4..])
            .read_to_end(&mut raw)
            .map_err(|e| format!("Rdata.rdb `{name}`: {e}"))?;
        if let RObject::Strings(lines) = RReader::new(&raw).read_all()? {
            out.push((name.clone(), lines));
        }
    }
    Ok(out)
}

/// The subset of R objects the lazy-load index and character data need.
#[derive(Debug, Clone, PartialEq)]
enum RObject {
    Null,
    Ints(Vec<i32>),
    Strings(Vec<String>),
    /// A symbol (attribute tags such as `names`).
    Symbol(String),
    /// Elements and their `names` attribute (empty when absent).
    List(Vec<RObject>, Vec<String>),
    /// Anything else (pairlists, doubles): read past, not kept.
    Other,
}

/// A reader for R's XDR serialization format (version 2 or 3), enough for character vectors, integer
/// vectors and lists with attributes.
struct RReader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Symbols seen so far; a `REFSXP` points back into this table (1-based).
    refs: Vec<String>,
}

impl<'a> RReader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        RReader {
            buf,
            pos: 0,
            refs: Vec::new(),
        }
    }

    fn read_all(mut self) -> Result<RObject, String> {
        if self.take(2)? != b"X\n" {
            return Err("not an R XDR serialization".into());
        }
        let version = self.int()?;
        self.int()?; // writer's R version
        self.int()?; // minimal reader version
        if version == 3 {
            let n = self.int()?;
            self.take(n.max(0) as usize)?; // native encoding name
        } else if version != 2 {
            return Err(format!("unsupported R serialization version {version}"));
        }
        self.item()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or("R data ends early")?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn int(&mut self) -> Result<i32, String> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn length(&mut self) -> Result<usize, String> {
        match self.int()? {
            -1 => Err("long vectors are not supported".into()),
            n if n < 0 => Err(format!("negative length {n}")),
            n => Ok(n as usize),
        }
    }

    /// One object: its flags word (type in the low byte, attribute and tag bits), then its body.
    fn item(&mut self) -> Result<RObject, String> {
        let flags = self.int()?;
        let has_attr = flags & (1 << 9) != 0;
        let has_tag = flags & (1 << 10) != 0;
        // The kinds that return early are complete here (a pairlist reads its attributes first);
        // the others may be followed by an attribute list.
        let obj = match flags & 0xFF {
            254 | 242 => return Ok(RObject::Null), // NILVALUE, EMPTYENV
            255 => return self.reference(flags),
            1 => return self.symbol(),
            2 => return self.pairlist(has_attr, has_tag),
            9 => return Ok(RObject::Strings(vec![self.chars()?])),
            10 | 13 => {
                let n = self.length()?;
                RObject::Ints((0..n).map(|_| self.int()).collect::<Result<_, _>>()?)
            }
            14 => {
                // REALSXP: doubles, skipped.
                let n = self.length()?;
                self.take(n * 8)?;
                RObject::Other
            }
            16 => RObject::Strings(self.strings()?),
            19 => {
                let n = self.length()?;
                RObject::List(
                    (0..n).map(|_| self.item()).collect::<Result<_, _>>()?,
                    Vec::new(),
                )
            }
            k => return Err(format!("unsupported R object type {k}")),
        };
        if has_attr {
            let names = self.attributes()?;
            if let RObject::List(items, _) = obj {
                return Ok(RObject::List(items, names));
            }
        }
        Ok(obj)
    }

    /// REFSXP: a symbol seen before, by its 1-based index (in the flags, or in the next word).
    fn reference(&mut self, flags: i32) -> Result<RObject, String> {
        let i = match flags >> 8 {
            0 => self.int()?,
            i => i,
        };
        let name = usize::try_from(i - 1)
            .ok()
            .and_then(|i| self.refs.get(i))
            .ok_or("R data: bad reference")?;
        Ok(RObject::Symbol(name.clone()))
    }

    /// SYMSXP: its name, remembered for later references.
    fn symbol(&mut self) -> Result<RObject, String> {
        let name = match self.item()? {
            RObject::Strings(mut s) if s.len() == 1 => s.remove(0),
            _ => String::new(),
        };
        self.refs.push(name.clone());
        Ok(RObject::Symbol(name))
    }

    /// LISTSXP (pairlist): attributes, tag, car, then the rest of the list as cdr; read past.
    fn pairlist(&mut self, has_attr: bool, has_tag: bool) -> Result<RObject, String> {
        if has_attr {
            self.item()?;
        }
        if has_tag {
            self.item()?;
        }
        self.item()?;
        self.item()?;
        Ok(RObject::Other)
    }

    /// CHARSXP: one string (NA, length -1, reads as empty).
    fn chars(&mut self) -> Result<String, String> {
        let n = self.int()?;
        Ok(if n < 0 {
            String::new()
        } else {
            String::from_utf8_lossy(self.take(n as usize)?).into_owned()
        })
    }

    /// STRSXP: a character vector, each element a CHARSXP.
    fn strings(&mut self) -> Result<Vec<String>, String> {
        let n = self.length()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            match self.item()? {
                RObject::Strings(mut s) if s.len() == 1 => v.push(s.remove(0)),
                _ => return Err("a character vector holds a non-string".into()),
            }
        }
        Ok(v)
    }

    /// Reads an attribute pairlist and returns its `names` value (empty when absent).
    fn attributes(&mut self) -> Result<Vec<String>, String> {
        let mut names = Vec::new();
        loop {
            let flags = self.int()?;
            match flags & 0xFF {
                254 => return Ok(names),
                2 => {
                    if flags & (1 << 9) != 0 {
                        self.item()?;
                    }
                    let tag = if flags & (1 << 10) != 0 {
                        self.item()?
                    } else {
                        RObject::Null
                    };
                    let value = self.item()?;
                    if tag == RObject::Symbol("names".into()) {
                        if let RObject::Strings(s) = value {
                            names = s;
                        }
                    }
                }
                k => return Err(format!("unexpected R object type {k} in an attribute list")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// R XDR serialization of a few objects, written the way R 4 writes them.
    fn r_header(out: &mut Vec<u8>) {
        out.extend_from_slice(b"X\n");
        for v in [3, 0x0004_0201, 0x0003_0500, 5] {
            out.extend_from_slice(&i32::to_be_bytes(v));
        }
        out.extend_from_slice(b"UTF-8");
    }
    fn r_int(out: &mut Vec<u8>, v: i32) {
        out.extend_from_slice(&v.to_be_bytes());
    }
    fn r_chars(out: &mut Vec<u8>, s: &str) {
        r_int(out, 0x0004_0009);
        r_int(out, s.len() as i32);
        out.extend_from_slice(s.as_bytes());
    }
    fn r_strings(out: &mut Vec<u8>, v: &[&str], attr: bool) {
        r_int(out, 16 | if attr { 1 << 9 } else { 0 });
        r_int(out, v.len() as i32);
        for s in v {
            r_chars(out, s);
        }
    }
    /// An attribute pairlist holding only `names`; the symbol is written once, then referenced.
    fn r_names(out: &mut Vec<u8>, names: &[&str], symbol_ref: Option<i32>) {
        r_int(out, 2 | (1 << 10));
        match symbol_ref {
            Some(i) => r_int(out, 255 | (i << 8)),
            None => {
                r_int(out, 1);
                r_chars(out, "names");
            }
        }
        r_strings(out, names, false);
        r_int(out, 254);
    }
    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }
    fn zlib_chunk(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        let mut chunk = (b.len() as i32).to_be_bytes().to_vec();
        chunk.extend(e.finish().unwrap());
        chunk
    }

    #[test]
    fn rdata_lazy_load_database_is_read() {
        let mut emma = Vec::new();
        r_header(&mut emma);
        r_strings(
            &mut emma,
            &["EMMA", "", "CHAPTER I", "Emma Woodhouse, handsome"],
            false,
        );
        let mut number = Vec::new();
        r_header(&mut number);
        r_int(&mut number, 14);
        r_int(&mut number, 1);
        number.extend_from_slice(&1.5f64.to_be_bytes());
        let (a, b) = (zlib_chunk(&emma), zlib_chunk(&number));
        let rdb = [a.clone(), b.clone()].concat();

        // list(variables = list(emma = c(0, len), pi = c(len, len2)), compressed = TRUE)
        let mut rdx = Vec::new();
        r_header(&mut rdx);
        r_int(&mut rdx, 19 | (1 << 9));
        r_int(&mut rdx, 2);
        r_int(&mut rdx, 19 | (1 << 9));
        r_int(&mut rdx, 2);
        for (o, l) in [(0, a.len()), (a.len(), b.len())] {
            r_int(&mut rdx, 13);
            r_int(&mut rdx, 2);
            r_int(&mut rdx, o as i32);
            r_int(&mut rdx, l as i32);
        }
        r_names(&mut rdx, &["emma", "pi"], None);
        r_int(&mut rdx, 10);
        r_int(&mut rdx, 1);
        r_int(&mut rdx, 1);
        r_names(&mut rdx, &["variables", "compressed"], Some(1));

        let got = rdata_character_vectors(&gzip(&rdx), &rdb).unwrap();
        assert_eq!(
            got,
            vec![(
                "emma".to_string(),
                ["EMMA", "", "CHAPTER I", "Emma Woodhouse, handsome"]
                    .map(String::from)
                    .to_vec()
            )]
        );
        assert!(rdata_character_vectors(&gzip(b"not R"), &rdb).is_err());
        assert!(rdata_character_vectors(&gzip(&rdx), &rdb[..10]).is_err());
    }
}
