//! The lessons' steps: text in the project's own words, each step paired with a widget in the state
//! it needs. Plain data, native-testable: the tests hold the steps to the course outline.

use crate::lab_registry::LabId;

/// What sits beside a step's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    /// One of the labs, opened in the state `query` describes: the same
    /// query string the lab's own URL would carry, e.g. `text=The+capital+of+France+is+[MASK].`
    /// (fields of the lab's state struct; see `ui::labs`). `hide` lists controls to hide in this step.
    Lab {
        lab: LabId,
        query: &'static str,
        hide: &'static [&'static str],
    },
    /// The recipe table BERT / RoBERTa / ALBERT / DistilBERT, parameter counts computed live from
    /// their configs.
    RecipeTable,
    /// The pretrain-then-fine-tune pipeline: unlabeled text → MLM → checkpoint → heads.
    Workflow,
    /// What a pretrained encoder hands downstream: token vectors, pooled output, layer-wise
    /// features; frozen versus fine-tuned.
    Transfer,
}

/// One step of a lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub title: &'static str,
    /// Paragraphs.
    pub text: &'static [&'static str],
    /// Something for the student to do with the widget ("Type …", "Switch to …"); may be empty.
    pub task: &'static str,
    pub widget: Option<Widget>,
    /// Keys of [`OUTLINE_POINTS`] this step teaches.
    pub covers: &'static [&'static str],
}

/// Every point of the course outline (`content/course-outline.txt`), by key: its sections, facts,
/// examples and to-do items. The tests require each to be taught by some step.
pub const OUTLINE_POINTS: &[(&str, &str)] = &[
    // Introduction.
    ("pretraining-broad-patterns", "Pretraining learns general language patterns from lots of unlabeled text, before any task"),
    ("bert-bidirectional-practical", "BERT made pretraining a bidirectional encoder practical"),
    ("one-model-many-tasks", "One pretrained BERT transfers well to many language-understanding tasks"),
    // Beginner.
    ("mlm-hide-and-recover", "Training hides tokens and recovers them from context on both sides"),
    ("understanding-task-families", "Uses: sentence classification, token labelling, extractive QA, semantic matching"),
    ("richer-than-feature-pipelines", "Bidirectional pretraining gave richer representations than earlier feature-based pipelines"),
    ("section-why-bert-mattered", "Section: why BERT mattered"),
    ("section-what-the-model-sees", "Section: what the model actually sees"),
    ("input-structured", "BERT's input is more structured than plain text"),
    ("subword-tokens", "Text becomes WordPiece subword tokens"),
    ("special-markers", "The sequence is wrapped in special markers [CLS] and [SEP]"),
    ("three-embeddings-summed", "Each position is the sum of token, segment and position embeddings"),
    ("sentence-pair-layout", "A pair is laid out as [CLS] A [SEP] B [SEP], each sentence tokenized"),
    ("section-core-pretraining-idea", "Section: core pretraining idea"),
    ("mlm-central-objective", "Masked language modelling is BERT's central objective"),
    ("mlm-select-targets", "Some tokens are selected as prediction targets"),
    ("learned-not-rules", "The model infers hidden tokens from context, not from hand-written linguistic rules"),
    ("example-france-paris", "Example: [MASK] in place of Paris in 'The capital of France is Paris.'"),
    ("example-customer-support", "Example: a support-intent classifier needs far less labelled data when fine-tuned from BERT"),
    ("section-workflow", "Section: pretraining and fine-tuning workflow"),
    ("workflow-pipeline", "Unlabeled text → MLM pretraining → pretrained checkpoint"),
    ("head-classifier", "A classifier head for sentiment or NLI"),
    ("head-token", "A token head for tagging or NER"),
    ("head-span", "A span head for extractive QA"),
    ("mental-model-general-then-specific", "Pretraining builds general features; fine-tuning reshapes them for one objective"),
    // Advanced.
    ("objectives-and-recipes-shape-encoder", "Objectives and training recipes decide what an encoder learns"),
    ("bert-mlm-plus-nsp", "BERT combined MLM with next sentence prediction"),
    ("roberta-recipe-beats-architecture", "RoBERTa: more training, data, batch size and better masking beat many architecture changes"),
    ("section-objectives", "Section: BERT pretraining objectives"),
    ("80-10-10-why", "80/10/10 exists because [MASK] never appears downstream"),
    ("section-recipes", "Section: recipe details that changed after BERT"),
    ("recipe-bert", "BERT: MLM + NSP, static masking, standard schedule"),
    ("recipe-bert-why", "BERT established pretrain-then-fine-tune for encoders"),
    ("recipe-roberta", "RoBERTa: no NSP, longer training, larger batches, more data, dynamic masking"),
    ("recipe-roberta-why", "RoBERTa showed BERT was undertrained and that the recipe matters a lot"),
    ("recipe-albert", "ALBERT: cross-layer parameter sharing, factorized embeddings, sentence order prediction"),
    ("recipe-albert-why", "ALBERT cut the parameter count and kept strong transfer"),
    ("recipe-distilbert", "DistilBERT: a BERT-style model compressed by distillation after pretraining"),
    ("recipe-distilbert-why", "DistilBERT made transfer cheaper at inference with moderate quality loss"),
    ("section-static-dynamic", "Section: static versus dynamic masking"),
    ("static-masking", "Static masking reuses the same masked positions across epochs"),
    ("dynamic-masking", "Dynamic masking can pick different tokens each time an example is seen"),
    ("dynamic-more-targets", "Dynamic masking shows more prediction targets and uses the corpus more efficiently"),
    ("example-static-dynamic-epochs", "Example: one sentence across epochs under static and dynamic masking"),
    ("section-what-transfers", "Section: what gets transferred downstream"),
    ("transfer-token-vectors", "Pretraining yields contextual token representations"),
    ("transfer-pooled", "Pretraining yields a pooled sentence-level representation"),
    ("transfer-layerwise", "Pretraining yields layer-wise features"),
    ("transfer-depends-on-task", "How these are reused depends on the task"),
    ("transfer-pipeline", "Tokenized corpus → MLM / sentence-level objective → pretrained encoder"),
    ("use-frozen-features", "Use 1: frozen features"),
    ("use-full-fine-tuning", "Use 2: full fine-tuning"),
    ("use-task-head", "Use 3: a task-specific head"),
    ("section-minimal-fine-tuning", "Section: minimal fine-tuning pattern"),
    ("example-transformers-snippet", "Example: tokenizer + sequence-classification model from bert-base-uncased on two sentences"),
    ("section-limits", "Section: limits and common misunderstandings"),
    ("scope-not-decoder-llm", "This module is not about general transformer mechanics or decoder-only LLMs"),
    ("scope-encoder-transfer", "The topic is encoder pretraining, objective design and transfer in the BERT family"),
    ("transfer-playbook", "The playbook: broad self-supervised objective, reusable representations at scale, efficient adaptation"),
    // To-do: learn.
    ("mlm-15-percent", "About 15% of tokens are chosen as prediction targets"),
    ("80-10-10-split", "Of those, 80% become [MASK], 10% a random token, 10% stay unchanged"),
    ("learn-mlm-rules", "Learn: MLM, the 15% rule and why 80/10/10"),
    ("learn-sentence-pairs", "Learn: how pairs are packaged with [CLS], [SEP], segment embeddings and positions"),
    ("learn-pretrain-heads-frozen-full", "Learn: pretraining vs task heads vs frozen features vs full fine-tuning"),
    ("learn-roberta-recipe-matters", "Learn: why RoBERTa showed data size, masking and training length matter"),
    // To-do: practice.
    ("practice-tokenize-pairs", "Practice: tokenize sentence pairs and find [CLS], [SEP] and segment ids"),
    ("practice-fill-mask-both-sides", "Practice: run masked-token predictions and check the use of left and right context"),
    ("practice-fine-tune-vs-linear", "Practice: fine-tune a small BERT on a classification task against a linear baseline"),
    ("practice-frozen-vs-full", "Practice: frozen-encoder features versus end-to-end fine-tuning on one dataset"),
    // To-do: build.
    ("build-classification-app", "Build: a sentence-classification app on a pretrained BERT-family encoder"),
    ("build-experiment-sheet", "Build: an experiment sheet comparing BERT, RoBERTa and a non-pretrained baseline"),
    ("build-technical-note", "Build: a short note on why encoder pretraining changed NLP transfer learning"),
    ("build-reproducible-workflow", "Build: a reproducible fine-tuning package: tokenizer, checkpoint, metrics, inference script"),
];

/// The steps of a lesson (by slug); empty for a lesson not written yet.
pub fn steps(lesson: &str) -> &'static [Step] {
    match lesson {
        "why-bert-mattered" => WHY_BERT_MATTERED,
        "what-the-model-sees" => WHAT_THE_MODEL_SEES,
        "masked-language-modelling" => MASKED_LANGUAGE_MODELLING,
        "pretraining-and-fine-tuning" => PRETRAINING_AND_FINE_TUNING,
        "pretraining-objectives" => PRETRAINING_OBJECTIVES,
        "recipes-after-bert" => RECIPES_AFTER_BERT,
        "static-vs-dynamic-masking" => STATIC_VS_DYNAMIC_MASKING,
        "what-transfers" => WHAT_TRANSFERS,
        "fine-tuning-pattern" => FINE_TUNING_PATTERN,
        "limits" => LIMITS,
        _ => &[],
    }
}

// Widget states that several steps share.

/// A question and its answer, for the pair layout: [CLS], segments, positions.
const QUESTION_PAIR: &str = "text=Where+is+the+station?&pair=It+is+next+to+the+old+market.";
/// One row of the masking grid: which positions become targets, and how each is shown.
const ONE_EPOCH_OF_MASKS: &str =
    "text=The+capital+of+France+is+Paris,+and+its+river+is+the+Seine.&epochs=1";
/// Static masking with four masked copies over twelve epochs; the step that follows switches to
/// dynamic.
const STATIC_FOUR_COPIES: &str =
    "text=The+capital+of+France+is+Paris.&strategy=static&duplicates=4&epochs=12";

// ---------------------------------------------------------------------------------------------
// Beginner track.

const WHY_BERT_MATTERED: &[Step] = &[
    Step {
        title: "Learn the language first, the task later",
        text: &[
            "Before pretraining caught on, a model for a task such as spotting spam learned \
             mostly from that task's own labelled examples, perhaps helped by some ready-made word \
             vectors. Labelled data is slow and costly to make, so such models only ever saw a \
             small slice of language.",
            "Pretraining flips the order. First the model reads a huge amount of ordinary text \
             that nobody has labelled (books, encyclopedia articles) and picks up how words, \
             phrases and sentences usually fit together. Only afterwards is it adapted to a \
             particular job.",
        ],
        task:
            "Follow the diagram from left to right: which boxes need labelled examples, and which \
               only need plain text?",
        widget: Some(Widget::Workflow),
        covers: &["section-why-bert-mattered", "pretraining-broad-patterns"],
    },
    Step {
        title: "Reading in both directions",
        text: &[
            "A model that predicts the next word can only look at what came before. BERT is an \
             encoder: every word gets to look at the words on its left and on its right at the \
             same time.",
            "The trick that makes this trainable is to cover up a few words and ask the model to \
             work out what was hidden, using everything around the gap. BERT was the model that \
             made this kind of two-sided pretraining work well in practice.",
        ],
        task: "Read the guesses for the hidden word. Then set the context to left side only and \
               look again: what does the model lose when it cannot read past the gap?",
        widget: Some(Widget::Lab {
            lab: LabId::FillMask,
            query: "text=She+put+the+[MASK]+in+the+fridge+to+keep+it+cold.",
            hide: &["top_k", "model"],
        }),
        covers: &["bert-bidirectional-practical", "mlm-hide-and-recover"],
    },
    Step {
        title: "One model, many jobs",
        text: &[
            "The same pretrained BERT can be adapted to quite different jobs: deciding what a \
             whole sentence is about (is this review happy or angry?), labelling each word (is \
             'Paris' a place or a person?), pointing at the answer inside a paragraph, or judging \
             whether two sentences mean the same thing.",
            "Earlier systems usually fed a task model with ready-made features, such as one fixed \
             vector per word that ignored the sentence around it. BERT's vectors depend on the \
             whole sentence, and the whole network is reused, so a single checkpoint became a \
             strong starting point for all of these jobs.",
        ],
        task: "Find the three heads at the end of the diagram and match each to one of the four \
               jobs above (one head serves two of them).",
        widget: Some(Widget::Workflow),
        covers: &[
            "one-model-many-tasks",
            "understanding-task-families",
            "richer-than-feature-pipelines",
        ],
    },
    Step {
        title: "Same word, different meaning",
        text: &[
            "Why does reading both sides help so much? Think of 'bank' in 'we sat on the river \
             bank' and in 'the bank refused the loan'. A fixed word vector has to blend both \
             meanings. Inside BERT, each 'bank' gathers information from its own neighbours, so \
             the two end up represented differently.",
            "The attention lab shows where each word looks while it builds its representation.",
        ],
        task: "Enlarge a head and follow the lines from each 'bank': which words does it draw on? \
               Try a few layers and heads; not every head cares about meaning.",
        widget: Some(Widget::Lab {
            lab: LabId::Attention,
            query: "text=We+sat+on+the+river+bank.&pair=The+bank+refused+the+loan.&layer=3",
            hide: &["hide_special"],
        }),
        covers: &["richer-than-feature-pipelines", "mlm-hide-and-recover"],
    },
];

const WHAT_THE_MODEL_SEES: &[Step] = &[
    Step {
        title: "Words become pieces",
        text: &[
            "BERT never sees letters or whole words directly. A tokenizer called WordPiece first \
             cuts the text into pieces from a fixed vocabulary of 30,522 entries. Common words \
             are a single piece; rarer words are split, and every piece that continues a word \
             starts with ##.",
            "The model in this lab uses an uncased vocabulary, so everything is lowercased first. \
             The trace below shows how the tokenizer grabs the longest piece it knows, then the \
             longest one after that, until the word is used up.",
        ],
        task: "Type your own name or a long technical word into the text box, then put it in the \
               traced-word box and follow the trace step by step.",
        widget: Some(Widget::Lab {
            lab: LabId::Tokenizer,
            query: "text=The+unaffable+tokenizer+splits+rare+words.&pair=",
            hide: &["pair", "max_len", "compare"],
        }),
        covers: &["section-what-the-model-sees", "input-structured", "subword-tokens"],
    },
    Step {
        title: "Markers at the start and the end",
        text: &[
            "The pieces are then wrapped in special markers. [CLS] always comes first; the model's \
             output at this slot is what a sentence-level classifier later reads. [SEP] closes a \
             sentence.",
            "BERT can read two sentences at once, for jobs like 'does the second sentence answer \
             the first?'. Then the layout is [CLS], the first sentence, [SEP], the second \
             sentence, [SEP].",
        ],
        task: "Type a second sentence in the pair box and count the [SEP] markers. Do it with three \
               or four different pairs: where do [CLS] and [SEP] land each time?",
        widget: Some(Widget::Lab {
            lab: LabId::Tokenizer,
            query: QUESTION_PAIR,
            hide: &["max_len", "compare"],
        }),
        covers: &[
            "special-markers",
            "sentence-pair-layout",
            "practice-tokenize-pairs",
            "learn-sentence-pairs",
        ],
    },
    Step {
        title: "Which sentence is which",
        text: &[
            "After the markers, the model still needs to know where the first sentence stops. \
             Each piece therefore carries a segment id: 0 for [CLS], the first sentence and the \
             first [SEP]; 1 for the second sentence and the last [SEP].",
            "Each piece also carries a position id: 0, 1, 2 and so on. Without it the model would \
             treat the sentence as a bag of pieces with no order. This model has room for 512 \
             positions, so longer inputs must be cut; set a small token budget to see where the \
             cut falls.",
        ],
        task: "Read the segment-id row and find the exact piece where it switches from 0 to 1. \
               Then set the token budget to 12 and see which pieces are dropped.",
        widget: Some(Widget::Lab {
            lab: LabId::Tokenizer,
            query: QUESTION_PAIR,
            hide: &["compare"],
        }),
        covers: &["learn-sentence-pairs", "practice-tokenize-pairs"],
    },
    Step {
        title: "Three vectors, added together",
        text: &[
            "Ids are just numbers, so each one is looked up in a table of learned vectors. A \
             piece gets three: one for the piece itself, one for its segment (first or second \
             sentence) and one for its position. The three are added into a single vector and \
             normalised, and that sum is what the first layer of the encoder receives.",
            "So BERT's input is a lot more than plain text: it is pieces, markers, a sentence \
             label and a position, all folded into one vector per slot.",
        ],
        task: "Edit the segment ids so that every token is in segment 0, and watch which rows of \
               the sum change. Put them back and compare the norms of the three parts.",
        widget: Some(Widget::Lab {
            lab: LabId::Embeddings,
            query: QUESTION_PAIR,
            hide: &[],
        }),
        covers: &["three-embeddings-summed", "input-structured", "learn-sentence-pairs"],
    },
];

const MASKED_LANGUAGE_MODELLING: &[Step] = &[
    Step {
        title: "Hide a word, guess it back",
        text: &[
            "BERT's main training exercise is a fill-in-the-blank game called masked language \
             modelling. Take a sentence such as 'The capital of France is Paris.', swap one \
             piece for the [MASK] marker, and ask the model which piece belongs there. Here the \
             right answer is 'paris'.",
            "Nobody has to label anything: the hidden word is its own answer. That is why the \
             game can be played on billions of words of ordinary text.",
        ],
        task: "Look at the top guesses and their probabilities. Is 'paris' among them? Change \
               'France' to another country and see whether the guesses follow.",
        widget: Some(Widget::Lab {
            lab: LabId::FillMask,
            query: "text=The+capital+of+France+is+[MASK].",
            hide: &["model"],
        }),
        covers: &[
            "section-core-pretraining-idea",
            "mlm-central-objective",
            "mlm-select-targets",
            "example-france-paris",
        ],
    },
    Step {
        title: "No grammar book inside",
        text: &[
            "Nobody wrote rules into BERT about verbs, tenses or countries. Whatever it knows \
             about them it picked up from millions of blanks like this one, by noticing which \
             words fit which surroundings.",
            "You can test this: change one word in the context and see whether the guesses react \
             the way a person's would.",
        ],
        task: "Replace 'yesterday' with 'tomorrow' and compare the guesses for the verb. Does the \
               model pick up the change of time?",
        widget: Some(Widget::Lab {
            lab: LabId::FillMask,
            query: "text=Yesterday+she+[MASK]+to+the+market+and+bought+some+bread.",
            hide: &["model"],
        }),
        covers: &["learned-not-rules"],
    },
    Step {
        title: "Both sides of the gap",
        text: &[
            "The blank can sit anywhere, and BERT reads the words before it and after it. Often \
             the strongest clue comes after the gap.",
            "This lab can hide one side of the sentence from the model. Comparing the three \
             settings shows how much each side contributes.",
        ],
        task: "Switch between both sides, left side only and right side only. Does the model use \
               the words on the right? Then write your own sentence where the clue comes last.",
        widget: Some(Widget::Lab {
            lab: LabId::FillMask,
            query: "text=The+[MASK]+barked+at+the+postman+all+morning.",
            hide: &["model"],
        }),
        covers: &["mlm-hide-and-recover", "practice-fill-mask-both-sides"],
    },
    Step {
        title: "Which words get hidden",
        text: &[
            "During pretraining, roughly one piece in seven (15%) is picked as a blank. Most of \
             the picked pieces (80%) are shown as [MASK]; one in ten is swapped for a random \
             piece, and one in ten is left as it was. The model must still say what the original \
             was at every picked slot.",
            "The odd-looking swaps have a reason: after pretraining, real inputs never contain \
             [MASK], so the model must not rely on a [MASK] to know where to make an effort. The \
             advanced track goes into this.",
        ],
        task: "Change the seed a few times and watch which pieces get picked. Then raise the rate \
               to 0.4 and compare the counts.",
        widget: Some(Widget::Lab {
            lab: LabId::Masking,
            query: ONE_EPOCH_OF_MASKS,
            hide: &["strategy", "duplicates", "epochs", "whole_word"],
        }),
        covers: &["mlm-15-percent", "80-10-10-split", "learn-mlm-rules"],
    },
    Step {
        title: "Why this saves labelled data",
        text: &[
            "Imagine a help desk that wants to sort incoming messages by intent: refund, password \
             reset, delivery problem. Trained from scratch, a model would have to learn English \
             and the intents from the same few thousand labelled messages.",
            "Starting from a pretrained BERT, the model already knows that 'money back' and \
             'refund' are related and that word order matters. It only has to learn the intents, \
             which usually takes far fewer labelled examples.",
        ],
        task: "In the diagram, find where the labelled help-desk messages enter, and where the \
               unlabelled text did.",
        widget: Some(Widget::Workflow),
        covers: &["example-customer-support"],
    },
];

const PRETRAINING_AND_FINE_TUNING: &[Step] = &[
    Step {
        title: "Stage one: pretraining",
        text: &[
            "Pretraining starts from a big pile of plain text. The model plays the hide-and-guess \
             game on it for a long time, usually on many machines. What comes out is a \
             checkpoint: a file of learned weights that anyone can download and build on.",
            "This stage is expensive, but it is done once and shared by many later projects.",
        ],
        task: "Trace the path from the text pile to the checkpoint in the diagram.",
        widget: Some(Widget::Workflow),
        covers: &["section-workflow", "workflow-pipeline"],
    },
    Step {
        title: "Stage two: a small head for one job",
        text: &[
            "To use the checkpoint for a task, a small extra layer (a head) is put on top, and \
             the whole thing is trained a little more on labelled examples. Which head depends on \
             the shape of the answer.",
            "One label per sentence or sentence pair (a sentiment, or whether one sentence \
             follows logically from another) comes from the [CLS] output. One label per piece \
             (marking names of people, places, companies) comes from every output. An answer \
             inside a passage is found by predicting the piece where it starts and the piece \
             where it ends.",
        ],
        task: "Pick one task you care about and decide which of the three heads it needs.",
        widget: Some(Widget::Workflow),
        covers: &["head-classifier", "head-token", "head-span"],
    },
    Step {
        title: "General first, specific second",
        text: &[
            "A useful picture: pretraining gives the model a broad sense of language that is not \
             tied to any job. Fine-tuning then bends that sense toward one goal, such as spotting \
             complaints.",
            "You can glimpse the general part in the attention patterns. Many heads in early \
             layers look at neighbouring pieces or spread out broadly; some later heads link \
             words that belong together in grammar or meaning.",
        ],
        task: "Compare the first layer with the last one: enlarge a few heads in each and see where \
               'it' looks.",
        widget: Some(Widget::Lab {
            lab: LabId::Attention,
            query: "text=The+trophy+did+not+fit+in+the+case+because+it+was+too+big.&layer=0",
            hide: &["pair"],
        }),
        covers: &["mental-model-general-then-specific"],
    },
    Step {
        title: "Freeze it or train it all",
        text: &[
            "There are two main ways to reuse the checkpoint. You can keep its weights frozen and \
             only train something small on top of its outputs: quick and cheap. Or you can let \
             every weight move a little during task training, called full fine-tuning: slower, \
             and usually more accurate.",
            "Either way, the head is the only brand-new part, and the pretrained network does most \
             of the work.",
        ],
        task: "Switch the widget between frozen and fine-tuned and note which parts are trained in \
               each case.",
        widget: Some(Widget::Transfer),
        covers: &["learn-pretrain-heads-frozen-full", "use-frozen-features", "use-full-fine-tuning"],
    },
];

// ---------------------------------------------------------------------------------------------
// Advanced track.

const PRETRAINING_OBJECTIVES: &[Step] = &[
    Step {
        title: "The objective decides what is learned",
        text: &[
            "An encoder learns whatever its pretraining losses reward, and the recipe around them \
             (data, steps, batch size, masking) decides how well it learns it. BERT trained two \
             losses at once: masked language modelling (MLM) over the pieces, and next sentence \
             prediction (NSP) over the pair.",
            "MLM is what makes a deep bidirectional encoder trainable. In an ordinary language \
             model each position predicts its successor, so it may only see the left. If every \
             layer could see both sides, each word could simply see itself. Replacing the target \
             in the input removes that shortcut.",
        ],
        task: "Check the grid: in this row, which positions carry a loss, and what does the input \
               show at each of them?",
        widget: Some(Widget::Lab {
            lab: LabId::Masking,
            query: ONE_EPOCH_OF_MASKS,
            hide: &["strategy", "duplicates", "epochs"],
        }),
        covers: &[
            "section-objectives",
            "objectives-and-recipes-shape-encoder",
            "bert-mlm-plus-nsp",
        ],
    },
    Step {
        title: "MLM, precisely",
        text: &[
            "For each sequence, 15% of the non-special WordPiece positions are drawn at random as \
             targets. At each target the model outputs a distribution over the whole vocabulary \
             and is scored by cross-entropy against the original piece; the other 85% of \
             positions contribute no loss.",
            "That last point is MLM's price: only about one position in seven teaches anything per \
             pass, where a left-to-right model gets a signal at every position. Whole-word masking \
             (a later BERT release) selects all pieces of a word together, so the model cannot \
             rebuild '##able' from its visible first half.",
        ],
        task: "Compare the measured selection rate with the configured 0.15 over 20 epochs, then \
               turn on whole-word masking and watch split words get masked as a unit.",
        widget: Some(Widget::Lab {
            lab: LabId::Masking,
            query: "text=The+unaffable+tokenizer+splits+rare+words+into+several+pieces.&epochs=20",
            hide: &["strategy", "duplicates"],
        }),
        covers: &["mlm-15-percent", "mlm-select-targets", "learn-mlm-rules"],
    },
    Step {
        title: "Why 80/10/10",
        text: &[
            "Of the selected positions, 80% show [MASK], 10% a random piece and 10% the original. \
             If every target showed [MASK], pretraining inputs would contain a symbol that \
             fine-tuning and inference inputs never do, and the model could learn to build useful \
             predictions only at [MASK] slots.",
            "The random 10% means any visible piece might be corrupted, so the encoder must keep a \
             context-informed representation of every position. The unchanged 10% ties that \
             representation to the word actually observed. The random swaps touch only 1.5% of \
             all pieces (10% of 15%), too few to damage language understanding.",
        ],
        task: "Set the [MASK] share to 1 and the random share to 0 and look at the grid; then try \
               0.8 / 0.1 again and count the three kinds of target.",
        widget: Some(Widget::Lab {
            lab: LabId::Masking,
            query: "text=The+capital+of+France+is+Paris,+and+its+river+is+the+Seine.&mask=1&random=0&epochs=8",
            hide: &["strategy", "duplicates"],
        }),
        covers: &["80-10-10-why", "80-10-10-split", "learn-mlm-rules"],
    },
    Step {
        title: "Bidirectional conditioning, tested",
        text: &[
            "Because MLM conditions on both sides, a trained encoder should move its prediction \
             when only the right context changes. The side ablation gives the tokens on one side zero \
             attention weight, so you can measure each side's contribution.",
            "The lab's model is a small 6-layer encoder, so treat individual guesses with \
             caution; look for the direction of the change rather than exact probabilities.",
        ],
        task: "Compare both / left only / right only. Then change only the last word of the \
               sentence; does the distribution move with it?",
        widget: Some(Widget::Lab {
            lab: LabId::FillMask,
            query: "text=He+opened+the+[MASK]+and+took+out+a+cold+drink.",
            hide: &[],
        }),
        covers: &["practice-fill-mask-both-sides", "mlm-hide-and-recover"],
    },
    Step {
        title: "NSP, and SOP instead",
        text: &[
            "NSP gives the [CLS] output a binary task: half the time sentence B really followed A \
             in the corpus, half the time it was taken from another document. The segment ids \
             tell the model which pieces belong to which side.",
            "Later work found NSP weak: a random B usually differs in topic, so the task can be \
             solved without modelling coherence. RoBERTa dropped it and did no worse. ALBERT \
             replaced it with sentence order prediction (SOP): B always follows A from the same \
             document, and the negatives are the same two segments swapped, so only the order \
             gives it away.",
        ],
        task: "Swap the two sentences between the boxes. Which clues would a topic-based NSP \
               shortcut miss, and which would an SOP model need?",
        widget: Some(Widget::Lab {
            lab: LabId::Tokenizer,
            query: "text=She+searched+the+whole+house+for+her+keys.&pair=In+the+end+they+were+in+her+coat+pocket.",
            hide: &["max_len", "word", "compare"],
        }),
        covers: &["bert-mlm-plus-nsp", "recipe-albert"],
    },
];

const RECIPES_AFTER_BERT: &[Step] = &[
    Step {
        title: "BERT: the baseline recipe",
        text: &[
            "BERT-base (12 layers, hidden size 768, about 110M parameters) was pretrained with MLM \
             plus NSP on BooksCorpus and English Wikipedia, about 16 GB of text, for a million \
             steps of 256 sequences. Its masks were fixed in preprocessing.",
            "Its lasting contribution was the paradigm rather than the numbers: pretrain one \
             encoder, then fine-tune all of it with a small head for each downstream task. The \
             table computes each model's parameter count from its configuration.",
        ],
        task: "Read BERT's row, then find which parts of its parameter count sit in the embedding \
               table and which in the layers.",
        widget: Some(Widget::RecipeTable),
        covers: &["section-recipes", "recipe-bert", "recipe-bert-why"],
    },
    Step {
        title: "RoBERTa: same architecture, better recipe",
        text: &[
            "RoBERTa kept BERT's architecture and changed the training: about ten times more text \
             (160 GB), batches of 8K sequences, many more sequences seen in total, full-length \
             sequences without NSP, and masks drawn afresh each time (dynamic masking).",
            "It matched or beat models that had been presented as architectural advances. The \
             lesson: BERT had been substantially undertrained, and data volume, masking and \
             training length can matter as much as the network design. Compare recipes at equal \
             compute before crediting an architecture.",
        ],
        task: "Compare the BERT and RoBERTa rows: which differences are architecture, which are \
               recipe?",
        widget: Some(Widget::RecipeTable),
        covers: &[
            "recipe-roberta",
            "recipe-roberta-why",
            "roberta-recipe-beats-architecture",
            "learn-roberta-recipe-matters",
        ],
    },
    Step {
        title: "ALBERT: fewer parameters",
        text: &[
            "ALBERT attacks the parameter count in two ways. Factorized embeddings map the \
             vocabulary into a small space (128 dimensions) and project up to the hidden size, \
             replacing a V×H table by V×E + E×H. Cross-layer sharing reuses one set of layer \
             weights at every depth.",
            "ALBERT-base has about 12M parameters against BERT-base's 110M at a modest cost in \
             accuracy, and larger shared models overtook BERT-large; it also swaps NSP for \
             sentence order prediction. Fewer parameters is not less compute, though: a forward \
             pass still runs every layer.",
        ],
        task: "In the table, compare ALBERT's embedding parameters with BERT's and work out how \
               much the factorization alone saves.",
        widget: Some(Widget::RecipeTable),
        covers: &["recipe-albert", "recipe-albert-why"],
    },
    Step {
        title: "DistilBERT: a smaller student",
        text: &[
            "DistilBERT trains a 6-layer student to imitate an already-pretrained 12-layer BERT \
             teacher: it matches the teacher's softened output distributions, alongside the usual \
             MLM loss and a loss aligning hidden states. It is about 40% smaller and 60% faster \
             at inference, and keeps most (about 97% in its paper) of the teacher's GLUE score.",
            "The model in this lab is of that family: a 6-layer MiniLM (MiniLM models come from \
             distillation) with BERT's vocabulary. Expect sensible but rougher predictions than a \
             full-size BERT.",
        ],
        task: "Try a few masked sentences and note where the small model's guesses look weaker \
               than you would expect from a large one.",
        widget: Some(Widget::Lab {
            lab: LabId::FillMask,
            query: "text=The+doctor+wrote+a+[MASK]+for+the+antibiotics.",
            hide: &[],
        }),
        covers: &["recipe-distilbert", "recipe-distilbert-why"],
    },
    Step {
        title: "Tokenizers changed too",
        text: &[
            "The successors also changed how text is cut. RoBERTa uses byte-level BPE, so any \
             string can be encoded without an unknown token; ALBERT uses a SentencePiece unigram \
             model. Vocabulary and splits affect sequence length, rare-word handling and which \
             checkpoints can share a tokenizer.",
        ],
        task: "Open the tokenizer comparison with a sentence full of rare words or emoji and \
               compare the piece counts of the three tokenizers.",
        widget: Some(Widget::Lab {
            lab: LabId::Tokenizer,
            query: "text=Unbelievably,+the+na%C3%AFve+caf%C3%A9+owner+tweeted+%F0%9F%99%82&pair=",
            hide: &["pair", "max_len", "word"],
        }),
        covers: &["subword-tokens"],
    },
];

const STATIC_VS_DYNAMIC_MASKING: &[Step] = &[
    Step {
        title: "Static: masks fixed in preprocessing",
        text: &[
            "BERT chose its masks once, while writing the training files. Whenever a sequence \
             came round again in a later epoch, the same positions were hidden.",
            "With a single masked copy, every epoch's row is identical: the model sees the same \
             handful of targets from this sentence over and over.",
        ],
        task: "Compare rows 1 and 2, then all four rows. How many different positions were ever \
               targets?",
        widget: Some(Widget::Lab {
            lab: LabId::Masking,
            query: "text=The+capital+of+France+is+Paris.&strategy=static&duplicates=1&epochs=4",
            hide: &["rate", "mask", "random"],
        }),
        covers: &["section-static-dynamic", "static-masking", "example-static-dynamic-epochs"],
    },
    Step {
        title: "BERT's ×10 duplication",
        text: &[
            "To soften that, BERT wrote each sequence out 10 times with 10 different masks. Over \
             its 40 epochs of training each of those masks recurred every 10 epochs, so each \
             sequence was seen with the same mask four times. Here, epoch e uses copy e mod N.",
            "Duplication costs N times the disk space of the preprocessed data, and the number of \
             distinct masks is capped at N however long training runs.",
        ],
        task: "With 4 copies over 12 epochs, find the period in the grid, then read the \
               distinct-targets curve: where does it flatten?",
        widget: Some(Widget::Lab {
            lab: LabId::Masking,
            query: STATIC_FOUR_COPIES,
            hide: &["rate", "mask", "random"],
        }),
        covers: &["static-masking"],
    },
    Step {
        title: "Dynamic: a fresh mask every pass",
        text: &[
            "RoBERTa generates the mask when the sequence is fed to the model, so each pass can \
             hide different positions: one epoch 'France' is the target, the next 'capital'.",
            "Over many epochs the model is asked to predict many more distinct positions of the \
             same text, which extracts more training signal from a fixed corpus and matters most \
             for long runs over limited data. RoBERTa reported dynamic masking as comparable to \
             or slightly better than static, and simpler to run.",
        ],
        task: "Switch the strategy to dynamic and compare rows 1 and 2. Then compare the \
               distinct-targets curve with the static one at the same seed.",
        widget: Some(Widget::Lab {
            lab: LabId::Masking,
            query: STATIC_FOUR_COPIES,
            hide: &["rate", "mask", "random"],
        }),
        covers: &["dynamic-masking", "dynamic-more-targets", "example-static-dynamic-epochs"],
    },
    Step {
        title: "Same seed, same start",
        text: &[
            "In this lab, static masking with N copies and dynamic masking draw from the same seeded \
             generator, so their first N rows agree; they part ways at the first repeat. That \
             isolates the one thing the strategy changes: whether masks recur.",
            "On a longer passage the difference in coverage grows with the number of epochs. The \
             configured 15% rate is the same under both; only the spread of targets differs.",
        ],
        task: "Paste a paragraph, set 30 epochs, and toggle between static and dynamic: compare \
               the measured rates (both near the configured one) and the distinct-targets curves.",
        widget: Some(Widget::Lab {
            lab: LabId::Masking,
            query: "text=Pretraining+reads+a+large+corpus+many+times.+Each+pass+is+a+chance+to+ask+about+different+words.&strategy=dynamic&duplicates=4&epochs=30",
            hide: &[],
        }),
        covers: &["dynamic-more-targets"],
    },
];

const WHAT_TRANSFERS: &[Step] = &[
    Step {
        title: "What a pretrained encoder hands over",
        text: &[
            "Whatever the objective (MLM, plus NSP or SOP at sentence level), the result is an \
             encoder that maps a tokenized input to three reusable kinds of output: a contextual \
             vector per token, a pooled vector for the whole sequence, and the hidden states of \
             every layer.",
            "Which one a task uses, and whether the encoder's weights are updated, depends on the \
             task, the data available and the compute budget.",
        ],
        task: "Click each of the three outputs in the widget and name a task that would read it.",
        widget: Some(Widget::Transfer),
        covers: &[
            "section-what-transfers",
            "transfer-pipeline",
            "transfer-token-vectors",
            "transfer-pooled",
            "transfer-layerwise",
            "transfer-depends-on-task",
        ],
    },
    Step {
        title: "Contextual token vectors",
        text: &[
            "Each output position mixes information from the whole input through attention, so \
             one word gets different vectors in different sentences. These vectors feed token \
             heads (tagging, NER) and span heads (start and end logits for extractive QA).",
            "Attention weights are not an explanation of the vectors, but they show which \
             positions were mixed in.",
        ],
        task: "Follow 'bank' in both sentences through a few heads of the last layer: which \
               context words feed each occurrence?",
        widget: Some(Widget::Lab {
            lab: LabId::Attention,
            query: "text=We+sat+on+the+river+bank.&pair=The+bank+refused+the+loan.&layer=5&hide_special=true",
            hide: &[],
        }),
        covers: &["transfer-token-vectors", "head-token", "head-span"],
    },
    Step {
        title: "The pooled [CLS] output",
        text: &[
            "BERT's pooler is a dense layer with tanh on the final [CLS] vector, trained through \
             NSP; sequence classifiers (sentiment, NLI) sit on it. Without fine-tuning, the raw \
             [CLS] or pooled vector is often a poor sentence embedding, and averaging the token \
             vectors usually does better.",
            "Many heads put a lot of attention on [CLS] and [SEP]; this is often read as a \
             'no-op' default rather than as those tokens carrying meaning.",
        ],
        task: "Toggle 'hide attention to [CLS]/[SEP]' and see how much of each head's attention \
               went to the special tokens.",
        widget: Some(Widget::Lab {
            lab: LabId::Attention,
            query: "text=The+service+was+excellent+and+the+staff+were+friendly.&layer=5",
            hide: &["pair"],
        }),
        covers: &["transfer-pooled", "head-classifier"],
    },
    Step {
        title: "Layer-wise features",
        text: &[
            "Different layers hold different information. Probing studies find surface and \
             syntactic properties easier to read from lower and middle layers, and more semantic, \
             task-like information higher up; the top layer is also the most specialised to the \
             pretraining objective.",
            "In the BERT paper's feature-based NER experiment, concatenating the last four hidden \
             layers of a frozen BERT came within 0.3 F1 of full fine-tuning.",
        ],
        task: "Compare the grid rows of layer 1 and layer 6: which layer's heads look mostly at \
               neighbouring tokens, and which at more distant ones?",
        widget: Some(Widget::Lab {
            lab: LabId::Attention,
            query: "text=The+keys+that+the+man+left+on+the+table+are+missing.&layer=0",
            hide: &["pair"],
        }),
        covers: &["transfer-layerwise"],
    },
    Step {
        title: "Frozen features, full fine-tuning, task heads",
        text: &[
            "Frozen features: run the encoder once, store its outputs, train a small model on \
             them. Cheap, one encoder serves many tasks, but the representation cannot adapt. \
             Full fine-tuning: update every weight together with the head, with a small learning \
             rate (typically 2e-5 to 5e-5) for a few epochs; usually the most accurate, but one \
             full copy per task and sometimes unstable on tiny datasets.",
            "The task-specific head is the only new part in both: a linear classifier on the \
             pooled vector, a per-token classifier, or start/end scorers for spans. A fair \
             evaluation compares both against a simple baseline such as a linear model on word \
             counts, on the same split; the fine-tuning lab (coming) runs that comparison.",
        ],
        task: "Switch the widget between frozen and fine-tuned and list which parameters receive \
               gradients in each mode.",
        widget: Some(Widget::Transfer),
        covers: &[
            "use-frozen-features",
            "use-full-fine-tuning",
            "use-task-head",
            "learn-pretrain-heads-frozen-full",
            "practice-frozen-vs-full",
            "practice-fine-tune-vs-linear",
        ],
    },
];

/// The fine-tuning lab's lesson: the code pattern, baselines, frozen versus full, the sheet, export.
const FINE_TUNING_PATTERN: &[Step] = &[
    Step {
        title: "The whole pattern in five moves",
        text: &[
            "Fine-tuning code is short because the checkpoint carries almost everything. You name \
             a pretrained checkpoint; its tokenizer is loaded from that name so the ids match the \
             embedding table; a sequence-classification model is built from the same name with the \
             number of classes you need, which adds a small freshly initialised head on the pooled \
             output.",
            "Then a batch of sentences is tokenized together, padded to the longest and cut to the \
             model's length, and passed through the model. What comes back is one row of logits \
             per sentence and one column per class: a tensor of shape [sentences, classes]. \
             Training adds a cross-entropy loss on those logits and an optimizer step, nothing more.",
            "This lab runs the same moves in your browser: the base model is loaded by name from \
             the lab's model folder, the head is created for the dataset's labels, and every run \
             ends with a test on messages the model never trained on.",
        ],
        task: "Press Train and test with the frozen encoder, and watch the loss fall as the new \
               head learns the eight intents.",
        widget: Some(Widget::Lab {
            lab: LabId::FineTune,
            query: "approach=frozen&examples=64&epochs=4",
            hide: &["data"],
        }),
        covers: &["section-minimal-fine-tuning", "example-transformers-snippet"],
    },
    Step {
        title: "Always start with a baseline",
        text: &[
            "Before crediting pretraining for a result, measure what a model without it gets. The \
             bag-of-words baseline counts words and word pairs, weighs rare ones up, and fits a \
             logistic regression: no encoder, no notion of word order beyond neighbours.",
            "On short support messages such a baseline is strong when there are plenty of labels, \
             because many intents have telltale words. Its weakness shows with few labels: it only \
             knows the words it was shown, while a pretrained encoder already places 'parcel' near \
             'package' and 'delivery'.",
        ],
        task: "Run the baseline with all examples and with 16, then full fine-tuning with 16. \
               Compare the rows of the sheet.",
        widget: Some(Widget::Lab {
            lab: LabId::FineTune,
            query: "approach=bag_of_words&examples=0",
            hide: &["data"],
        }),
        covers: &["practice-fine-tune-vs-linear", "build-classification-app"],
    },
    Step {
        title: "Frozen features or the whole model?",
        text: &[
            "A frozen encoder is used as a feature extractor: its weights stay exactly as \
             pretraining left them and only the new head learns, so a run is cheap and the \
             trainable parameter count in the sheet is tiny.",
            "Full fine-tuning lets every weight move, with a small learning rate so the pretrained \
             knowledge is adjusted rather than erased. It usually wins on accuracy, at the price of \
             a backward pass through the whole network and a separate copy of the model per task.",
        ],
        task: "Run frozen and full fine-tuning on the same 64 examples and compare accuracy, \
               trainable parameters and seconds.",
        widget: Some(Widget::Lab {
            lab: LabId::FineTune,
            query: "approach=full&examples=64&epochs=4",
            hide: &["data"],
        }),
        covers: &["practice-frozen-vs-full"],
    },
    Step {
        title: "What pretraining is worth: the experiment sheet",
        text: &[
            "The fairest test of pretraining keeps everything else equal: the same architecture, \
             the same data split, the same budget, once from pretrained weights and once from \
             random ones. The sheet records each run with its accuracy, macro-F1, trainable \
             parameters and time, and the label-efficiency chart plots accuracy against the number \
             of labelled examples.",
            "Choose the lab's BERT-recipe and RoBERTa-recipe models in the model picker to compare \
             the two recipes as well; at the lab's tiny pretraining budget expect small \
             differences, which is itself a lesson about how much data the recipes assume.",
        ],
        task: "Fill the sheet: the random-init model, then the pretrained one, at 16, 64 and 256 \
               examples. Where is the gap widest?",
        widget: Some(Widget::Lab {
            lab: LabId::FineTune,
            query: "approach=scratch&examples=64&epochs=4",
            hide: &[],
        }),
        covers: &["build-experiment-sheet"],
    },
    Step {
        title: "Take the model with you",
        text: &[
            "A fine-tuned model is only useful if someone else can run it and trust its numbers. \
             The lab's command line writes one folder per model: the weights under the names \
             transformers uses, the config with the label names, the tokenizer it was trained with, \
             a metrics file with the settings and test scores, and a README with the command that \
             labels new text.",
            "Run `bertlab finetune --regime full --out my-classifier`, then `bertlab classify \
             --model my-classifier \"my parcel never arrived\"`; the same folder loads in Python \
             with AutoModelForSequenceClassification, and the lab's tests check that both give the \
             same logits.",
        ],
        task: "Find in the workflow where the exported folder sits: after which box does a \
               checkpoint become a task model?",
        widget: Some(Widget::Workflow),
        covers: &["build-reproducible-workflow"],
    },
];

const LIMITS: &[Step] = &[
    Step {
        title: "An encoder, not a generator",
        text: &[
            "This course is about encoder pretraining, its objectives and transfer; it is neither \
             a general tour of transformer internals nor about decoder-only chat models. BERT reads a whole input at once and outputs vectors; it \
             has no left-to-right factorisation, so it has no built-in way to write text one word \
             after another.",
            "Several [MASK]s in one input are predicted in one pass and independently of each \
             other, so the top guesses need not fit together.",
        ],
        task: "Look at the two masks' top guesses separately: would every combination of them \
               make a sensible phrase?",
        widget: Some(Widget::Lab {
            lab: LabId::FillMask,
            query: "text=The+[MASK]+[MASK]+of+France+is+Paris.",
            hide: &[],
        }),
        covers: &["section-limits", "scope-not-decoder-llm", "scope-encoder-transfer"],
    },
    Step {
        title: "Guesses are not facts",
        text: &[
            "A fill-mask prediction is the most plausible filler according to the training text, \
             not a lookup in a knowledge base. Frequent co-occurrence can beat truth, and social \
             biases in the corpus show up directly in the probabilities.",
            "The model here is also much smaller than bert-base, so its guesses are rougher.",
        ],
        task: "Ask about a capital that is often confused with a bigger city. Then change 'doctor' \
               to 'nurse' in a sentence like the one below and compare the pronouns.",
        widget: Some(Widget::Lab {
            lab: LabId::FillMask,
            query: "text=The+doctor+said+that+[MASK]+would+be+back+soon.",
            hide: &[],
        }),
        covers: &[],
    },
    Step {
        title: "Practical edges",
        text: &[
            "The input is capped at 512 positions; longer documents must be truncated or split \
             into windows. The uncased vocabulary drops capitals and accents, so 'US' and 'us' \
             look alike. Misspellings, numbers and rare names break into many pieces, and a \
             token-level task then has to decide which piece carries the label.",
            "And the [MASK] mismatch never fully disappears: the encoder was shaped on inputs with \
             about 12% [MASK] symbols and is used on inputs with none.",
        ],
        task: "Type a misspelt word, a long number and a rare surname, and count the pieces. Then \
               set the token budget to 10 and see what gets cut.",
        widget: Some(Widget::Lab {
            lab: LabId::Tokenizer,
            query: "text=The+US+recieved+1234567+applications+from+Szczepa%C5%84ski.&pair=",
            hide: &["pair", "compare"],
        }),
        covers: &[],
    },
    Step {
        title: "Why the playbook matters",
        text: &[
            "What BERT left behind is a method: pick a self-supervised objective that needs only \
             raw text, train an encoder on a lot of it, then adapt that representation cheaply to \
             each labelled task. Later models changed the objective, the recipe and the size, but \
             kept this three-part shape.",
            "It also sets the right expectations: pretraining lowers the labelled-data need, it \
             does not remove the need for a labelled evaluation set, a baseline and a careful \
             comparison.",
        ],
        task: "Write a short technical note (half a page) explaining to a colleague why encoder \
               pretraining changed transfer learning in NLP, using what you saw in the labs.",
        widget: Some(Widget::Workflow),
        covers: &["transfer-playbook", "build-technical-note", "scope-encoder-transfer"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Availability, Track};
    use crate::url_state::query_pairs;
    use std::collections::HashSet;

    /// Longest paragraph that stays readable beside a widget.
    const MAX_PARAGRAPH_CHARS: usize = 600;
    /// A run of this many words shared with the outline counts as copied wording.
    const COPIED_WORDS: usize = 8;

    fn written_lessons() -> impl Iterator<Item = (&'static str, &'static [Step])> {
        Track::ALL
            .into_iter()
            .flat_map(|t| t.lessons())
            .map(|l| (l.slug, steps(l.slug)))
            .filter(|(_, s)| !s.is_empty())
    }

    fn all_steps() -> impl Iterator<Item = (&'static str, &'static Step)> {
        written_lessons().flat_map(|(slug, s)| s.iter().map(move |step| (slug, step)))
    }

    fn is_outline_key(key: &str) -> bool {
        OUTLINE_POINTS.iter().any(|(k, _)| *k == key)
    }

    #[test]
    fn outline_keys_are_unique_and_described() {
        let mut seen = HashSet::new();
        for (key, what) in OUTLINE_POINTS {
            assert!(seen.insert(key), "duplicate outline key {key}");
            assert!(
                !what.trim().is_empty(),
                "outline key {key} has no description"
            );
        }
    }

    #[test]
    fn every_outline_point_is_taught_and_every_cover_exists() {
        let covered: HashSet<&str> = all_steps()
            .flat_map(|(_, s)| s.covers.iter().copied())
            .collect();
        for key in &covered {
            assert!(is_outline_key(key), "a step covers unknown key {key}");
        }
        let missing: Vec<&str> = OUTLINE_POINTS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !covered.contains(k))
            .collect();
        assert!(
            missing.is_empty(),
            "outline points no step teaches: {missing:?}"
        );
    }

    #[test]
    fn ready_lessons_are_exactly_the_written_ones() {
        for track in Track::ALL {
            for lesson in track.lessons() {
                let n = steps(lesson.slug).len();
                match lesson.availability {
                    Availability::Ready => assert!(
                        (3..=6).contains(&n),
                        "ready lesson {} has {n} steps, wants 3 to 6",
                        lesson.slug
                    ),
                    Availability::Coming { issue } => assert_eq!(
                        n, 0,
                        "lesson {} has steps but is marked coming (issue {issue})",
                        lesson.slug
                    ),
                }
            }
        }
        assert!(steps("no-such-lesson").is_empty());
    }

    #[test]
    fn lab_widgets_open_existing_labs_with_allowed_fields() {
        for (lesson, step) in all_steps() {
            let Some(Widget::Lab { lab, query, hide }) = step.widget else {
                continue;
            };
            let at = format!("{lesson} / '{}'", step.title);
            let pairs = query_pairs(query);
            let mut keys = HashSet::new();
            for (key, _) in &pairs {
                assert!(keys.insert(key.as_str()), "{at}: '{key}' set twice");
            }
            if let Err(e) = lab.check_preset(&pairs) {
                panic!("{at}: {e}");
            }
            let controls = lab.controls();
            for control in hide.iter() {
                assert!(
                    controls.iter().any(|c| c == control),
                    "{at}: '{lab:?}' has no control '{control}' to hide"
                );
            }
        }
    }

    #[test]
    fn step_text_is_present_and_readable() {
        for (lesson, step) in all_steps() {
            let at = format!("{lesson} / '{}'", step.title);
            assert!(!step.title.trim().is_empty(), "{lesson}: untitled step");
            assert!(!step.text.is_empty(), "{at}: no text");
            for paragraph in step.text.iter().chain([&step.task]) {
                assert!(
                    !paragraph.contains("  "),
                    "{at}: doubled space in {paragraph:?}"
                );
                assert!(
                    paragraph.chars().count() <= MAX_PARAGRAPH_CHARS,
                    "{at}: paragraph over {MAX_PARAGRAPH_CHARS} characters"
                );
            }
            for paragraph in step.text {
                assert!(!paragraph.trim().is_empty(), "{at}: empty paragraph");
            }
        }
    }

    /// Lowercase words, punctuation and markers dropped: "[MASK]." → "mask".
    fn words(text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    /// The outline's sentences: each line, split after '.', '?' or '!' followed by a space.
    fn sentences(outline: &str) -> Vec<String> {
        outline
            .lines()
            .flat_map(|line| line.split_inclusive(['.', '?', '!']))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    #[test]
    fn no_step_copies_outline_wording() {
        let outline = include_str!("../content/course-outline.txt");
        // Every run of COPIED_WORDS words inside an outline sentence; a sentence of at least that
        // length copied whole contains one of them.
        let runs: HashSet<String> = sentences(outline)
            .iter()
            .map(|s| words(s))
            .filter(|w| w.len() >= COPIED_WORDS)
            .flat_map(|w| {
                w.windows(COPIED_WORDS)
                    .map(|run| run.join(" "))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(!runs.is_empty(), "no sentences read from the outline");
        for (lesson, step) in all_steps() {
            for paragraph in step.text.iter().chain([&step.task, &step.title]) {
                let w = words(paragraph);
                for run in w.windows(COPIED_WORDS) {
                    let run = run.join(" ");
                    assert!(
                        !runs.contains(&run),
                        "{lesson} / '{}' copies the outline: '{run}'",
                        step.title
                    );
                }
            }
        }
    }
}
