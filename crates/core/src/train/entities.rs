//! Entity tags on the support messages: the shipped file marks character spans (a product, an
//! order number, a date, an amount) in each message; here they become one BIO tag per word for
//! the token head, and predicted tags become spans again to be scored the way seqeval scores them
//! (an entity counts only when its type and both ends are exactly right).

use serde::Deserialize;

use super::data::Order;
use super::tagged::TaggedSet;

pub use bertlab_protocol::tagging::ENTITY_LABELS;

/// One marked span; `start..end` counts characters (Unicode scalar values), end exclusive.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EntitySpan {
    pub label: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// One support message with its spans, sorted and never overlapping.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EntityMessage {
    pub text: String,
    /// `train` or `test`.
    pub split: String,
    pub entities: Vec<EntitySpan>,
}

/// The word tags: `O`, then `B-` and `I-` for each of [`ENTITY_LABELS`].
pub fn bio_tags() -> Vec<String> {
    std::iter::once("O".to_string())
        .chain(
            ENTITY_LABELS
                .iter()
                .flat_map(|l| [format!("B-{l}"), format!("I-{l}")]),
        )
        .collect()
}

/// Character ranges of `text`'s words as BERT's pre-tokenizer cuts them: a run of letters and
/// digits is a word, and every other character but a space is a word of its own.
pub fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut in_run = false;
    for (i, c) in text.chars().enumerate() {
        if c.is_whitespace() {
            in_run = false;
        } else if c.is_alphanumeric() {
            match spans.last_mut() {
                Some((_, end)) if in_run => *end = i + 1,
                _ => spans.push((i, i + 1)),
            }
            in_run = true;
        } else {
            spans.push((i, i + 1));
            in_run = false;
        }
    }
    spans
}

/// Reads the JSON-lines file and checks every span: a known label, its text at its offsets, in
/// order, not overlapping, and starting and ending at word boundaries. Errors name the line.
pub fn parse_messages(jsonl: &str) -> Result<Vec<EntityMessage>, String> {
    let mut messages = Vec::new();
    for (n, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |what: String| format!("line {}: {what}", n + 1);
        let message: EntityMessage =
            serde_json::from_str(line).map_err(|e| at(format!("not a message ({e})")))?;
        if message.split != "train" && message.split != "test" {
            return Err(at(format!(
                "split {:?} is not train or test",
                message.split
            )));
        }
        let chars: Vec<char> = message.text.chars().collect();
        let words = word_spans(&message.text);
        let mut previous_end = 0;
        for span in &message.entities {
            if !ENTITY_LABELS.contains(&span.label.as_str()) {
                return Err(at(format!("unknown entity label {:?}", span.label)));
            }
            if span.start < previous_end || span.start >= span.end || span.end > chars.len() {
                return Err(at(format!(
                    "span {}..{} is out of order, empty or past the text",
                    span.start, span.end
                )));
            }
            let found: String = chars[span.start..span.end].iter().collect();
            if found != span.text {
                return Err(at(format!(
                    "the text at {}..{} is {found:?}, not {:?}",
                    span.start, span.end, span.text
                )));
            }
            let starts = words.iter().any(|w| w.0 == span.start);
            let ends = words.iter().any(|w| w.1 == span.end);
            if !starts || !ends {
                return Err(at(format!("{:?} cuts through a word", span.text)));
            }
            previous_end = span.end;
        }
        messages.push(message);
    }
    if messages.is_empty() {
        return Err("no messages in the entity file".to_string());
    }
    Ok(messages)
}

/// The messages' indices: training messages in a fixed shuffled order, then the test ones in the
/// file's. The file
/// groups messages by intent, so a run on the first N training messages sees every kind of
/// message rather than only refunds.
pub fn in_training_order(messages: &[EntityMessage]) -> Vec<usize> {
    let (train, test): (Vec<usize>, Vec<usize>) =
        (0..messages.len()).partition(|&i| messages[i].split != "test");
    let mut order = Order::new(train.len(), 0);
    (0..train.len() as u64)
        .map(|pos| train[order.at(pos).1])
        .chain(test)
        .collect()
}

/// The messages as words with BIO tags ([`bio_tags`] order): training messages (in
/// [`in_training_order`]), then test ones.
pub fn tagged_sets(messages: &[EntityMessage]) -> (TaggedSet, TaggedSet) {
    let tags = bio_tags();
    let id = |tag: String| tags.iter().position(|t| *t == tag).unwrap_or(0);
    let mut sets = [
        TaggedSet::empty(tags.clone()),
        TaggedSet::empty(tags.clone()),
    ];
    for message in in_training_order(messages)
        .into_iter()
        .map(|i| &messages[i])
    {
        let chars: Vec<char> = message.text.chars().collect();
        let spans = word_spans(&message.text);
        let words = spans
            .iter()
            .map(|&(s, e)| chars[s..e].iter().collect())
            .collect();
        let ids = spans
            .iter()
            .map(|&(s, _)| {
                match message
                    .entities
                    .iter()
                    .find(|ent| ent.start <= s && s < ent.end)
                {
                    Some(ent) if ent.start == s => id(format!("B-{}", ent.label)),
                    Some(ent) => id(format!("I-{}", ent.label)),
                    None => 0,
                }
            })
            .collect();
        let set = &mut sets[usize::from(message.split == "test")];
        set.sentences.push(words);
        set.tag_ids.push(ids);
    }
    let [train, test] = sets;
    (train, test)
}

/// An entity found in a tag sequence: its type and its words `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub label: String,
    pub start: usize,
    pub end: usize,
}

/// The entities a BIO sequence spells, as seqeval reads it by default: a `B-X` starts one, and so
/// does an `I-X` that does not continue an `X` (a tagger's stray `I-` still counts as a guess).
pub fn chunks(tags: &[&str]) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut open = false;
    for (i, tag) in tags.iter().enumerate() {
        let (prefix, label) = tag.split_once('-').unwrap_or((tag, ""));
        let continues = prefix == "I" && open && out.last().is_some_and(|c| c.label == label);
        if continues {
            if let Some(last) = out.last_mut() {
                last.end = i + 1;
            }
        } else if prefix == "B" || prefix == "I" {
            out.push(Chunk {
                label: label.to_string(),
                start: i,
                end: i + 1,
            });
        }
        open = continues || prefix == "B" || prefix == "I";
    }
    out
}

/// Exact-span entity scores, micro-averaged over every entity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntityScores {
    pub gold: usize,
    pub predicted: usize,
    pub correct: usize,
}

impl EntityScores {
    pub fn precision(&self) -> f32 {
        self.correct as f32 / self.predicted.max(1) as f32
    }

    pub fn recall(&self) -> f32 {
        self.correct as f32 / self.gold.max(1) as f32
    }

    /// The harmonic mean of precision and recall; 0 when nothing is right.
    pub fn f1(&self) -> f32 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Scores `predicted` tag ids (a word cut off by the length limit reads as `O`) against `set`.
pub fn entity_scores(set: &TaggedSet, predicted: &[Vec<Option<usize>>]) -> EntityScores {
    let mut scores = EntityScores {
        gold: 0,
        predicted: 0,
        correct: 0,
    };
    let name = |id: usize| set.tags.get(id).map_or("O", String::as_str);
    for (gold, guess) in set.tag_ids.iter().zip(predicted) {
        let gold: Vec<&str> = gold.iter().map(|&id| name(id)).collect();
        let guess: Vec<&str> = (0..gold.len())
            .map(|i| guess.get(i).copied().flatten().map_or("O", name))
            .collect();
        let (gold, guess) = (chunks(&gold), chunks(&guess));
        scores.gold += gold.len();
        scores.predicted += guess.len();
        scores.correct += guess.iter().filter(|c| gold.contains(c)).count();
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = concat!(
        r##"{"text": "Refund order #48213 for the Lumen desk lamp, $24 on monday.", "split": "train", "entities": [{"label": "ORDER", "start": 13, "end": 19, "text": "#48213"}, {"label": "PRODUCT", "start": 28, "end": 43, "text": "Lumen desk lamp"}, {"label": "AMOUNT", "start": 45, "end": 48, "text": "$24"}, {"label": "DATE", "start": 52, "end": 58, "text": "monday"}]}"##,
        "\n",
        r#"{"text": "Café gone?", "split": "test", "entities": [{"label": "PRODUCT", "start": 0, "end": 4, "text": "Café"}]}"#,
        "\n"
    );

    #[test]
    fn words_are_runs_of_letters_and_digits_or_single_marks() {
        let text = "I'd pay $24, ok?";
        let words: Vec<String> = word_spans(text)
            .into_iter()
            .map(|(s, e)| text.chars().skip(s).take(e - s).collect())
            .collect();
        assert_eq!(words, ["I", "'", "d", "pay", "$", "24", ",", "ok", "?"]);
    }

    #[test]
    fn spans_become_bio_tags_per_word_in_their_split() {
        let messages = parse_messages(LINES).unwrap();
        let (train, test) = tagged_sets(&messages);
        assert_eq!((train.len(), test.len()), (1, 1));
        let tags: Vec<&str> = train.tag_ids[0]
            .iter()
            .map(|&i| train.tags[i].as_str())
            .collect();
        let words = &train.sentences[0];
        let tagged: Vec<String> = words
            .iter()
            .zip(&tags)
            .map(|(w, t)| format!("{w}/{t}"))
            .collect();
        assert_eq!(
            tagged.join(" "),
            "Refund/O order/O #/B-ORDER 48213/I-ORDER for/O the/O Lumen/B-PRODUCT desk/I-PRODUCT \
             lamp/I-PRODUCT ,/O $/B-AMOUNT 24/I-AMOUNT on/O monday/B-DATE ./O"
        );
        // Offsets count characters, so a multi-byte letter does not shift them.
        assert_eq!(test.sentences[0], ["Café", "gone", "?"]);
        assert_eq!(test.tags[test.tag_ids[0][0]], "B-PRODUCT");
    }

    #[test]
    fn bad_spans_are_refused_with_their_line() {
        let wrong_text = r#"{"text": "a lamp", "split": "train", "entities": [{"label": "PRODUCT", "start": 2, "end": 6, "text": "lamb"}]}"#;
        let inside_a_word = r#"{"text": "a lamp", "split": "train", "entities": [{"label": "PRODUCT", "start": 2, "end": 5, "text": "lam"}]}"#;
        let unknown = r#"{"text": "a lamp", "split": "train", "entities": [{"label": "COLOUR", "start": 2, "end": 6, "text": "lamp"}]}"#;
        let overlap = r#"{"text": "a lamp", "split": "train", "entities": [{"label": "PRODUCT", "start": 0, "end": 6, "text": "a lamp"}, {"label": "PRODUCT", "start": 2, "end": 6, "text": "lamp"}]}"#;
        for (line, says) in [
            (wrong_text, "not \"lamb\""),
            (inside_a_word, "cuts through a word"),
            (unknown, "unknown entity label"),
            (overlap, "out of order"),
        ] {
            let err = parse_messages(&format!("{}\n{line}\n", LINES.lines().next().unwrap()))
                .unwrap_err();
            assert!(err.starts_with("line 2") && err.contains(says), "{err}");
        }
        assert!(parse_messages("\n").is_err());
        assert!(parse_messages("{\"text\": 1}").is_err());
    }

    #[test]
    fn chunks_read_bio_like_seqeval() {
        let found = chunks(&[
            "B-ORDER",
            "I-ORDER",
            "O",
            "I-DATE",
            "I-DATE",
            "B-DATE",
            "I-AMOUNT",
            "B-PRODUCT",
        ]);
        let spans: Vec<(&str, usize, usize)> = found
            .iter()
            .map(|c| (c.label.as_str(), c.start, c.end))
            .collect();
        assert_eq!(
            spans,
            [
                ("ORDER", 0, 2),
                ("DATE", 3, 5),
                ("DATE", 5, 6),
                ("AMOUNT", 6, 7),
                ("PRODUCT", 7, 8)
            ]
        );
    }

    #[test]
    fn only_exact_spans_of_the_right_type_score() {
        let messages = parse_messages(LINES).unwrap();
        let (train, _) = tagged_sets(&messages);
        let gold = &train.tag_ids[0];
        let tag = |name: &str| Some(train.tags.iter().position(|t| t == name).unwrap());
        let mut guess: Vec<Option<usize>> = gold.iter().map(|&g| Some(g)).collect();
        assert_eq!(
            entity_scores(&train, std::slice::from_ref(&guess)).f1(),
            1.0
        );
        // The product cut one word short, the amount typed as an order, the date missed (cut off).
        guess[8] = tag("O");
        guess[10] = tag("B-ORDER");
        guess[11] = tag("I-ORDER");
        guess[13] = None;
        let scores = entity_scores(&train, &[guess]);
        assert_eq!((scores.gold, scores.predicted, scores.correct), (4, 3, 1));
        assert!((scores.precision() - 1.0 / 3.0).abs() < 1e-6);
        assert!((scores.recall() - 0.25).abs() < 1e-6);
        assert!((scores.f1() - 2.0 / 7.0).abs() < 1e-6);
    }

    #[test]
    fn the_shipped_file_parses_and_marks_every_kind() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/datasets/support-entities.jsonl"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let messages = parse_messages(&text).unwrap();
        // Its first 800 messages are the intent set's, in order.
        let intents = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/datasets/support-intents.csv"
        ))
        .unwrap();
        let mut reader = csv::Reader::from_reader(intents.as_slice());
        let texts: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        assert_eq!(texts.len(), 800);
        assert!(messages.len() > 800);
        for (message, text) in messages.iter().zip(&texts) {
            assert_eq!(&message.text, text);
        }
        for label in ENTITY_LABELS {
            let n = messages
                .iter()
                .filter(|m| m.entities.iter().any(|e| e.label == label))
                .count();
            assert!(n >= 20, "{label} marked in only {n} messages");
        }
        let (train, test) = tagged_sets(&messages);
        assert_eq!(train.len() + test.len(), messages.len());
        assert!(test.len() >= 200);
    }
}
