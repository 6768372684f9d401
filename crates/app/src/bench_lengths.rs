//! The benchmark page's sequence lengths, as typed or linked (`?lens=16,64,128`).

use bertlab_protocol::views::BENCH_SEQ_LENS;

/// The lengths every benchmark reports unless asked for others, as the text box shows them.
pub fn default_lens() -> String {
    join_lens(&BENCH_SEQ_LENS)
}

/// `16,64,128` for the URL and the text box.
fn join_lens(lens: &[usize]) -> String {
    lens.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The lengths typed or linked, or a message saying which entry is not one.
pub fn parse_lens(text: &str) -> Result<Vec<usize>, String> {
    let lens = text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| match t.parse::<usize>() {
            Ok(n) if (3..=512).contains(&n) => Ok(n),
            _ => Err(format!("“{t}” is not a length from 3 to 512 tokens.")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if lens.is_empty() {
        return Err("Give at least one length, e.g. 16,64,128.".into());
    }
    Ok(lens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_parse_from_the_url_or_say_which_entry_is_wrong() {
        assert_eq!(parse_lens(" 16, 64,512,"), Ok(vec![16, 64, 512]));
        assert_eq!(parse_lens(&default_lens()), Ok(BENCH_SEQ_LENS.to_vec()));
        for bad in ["16,abc", "2", "513", ""] {
            assert!(parse_lens(bad).is_err(), "{bad}");
        }
        assert!(parse_lens("16,abc").unwrap_err().contains("abc"));
    }
}
