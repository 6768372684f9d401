//! The beginner track's lessons: why BERT mattered, what the model sees, masked language
//! modelling, pretraining then fine-tuning.

use super::step::{Step, Widget, ONE_EPOCH_OF_MASKS, QUESTION_PAIR};
use crate::lab_registry::LabId;

pub(super) const WHY_BERT_MATTERED: &[Step] = &[
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

pub(super) const WHAT_THE_MODEL_SEES: &[Step] = &[
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

pub(super) const MASKED_LANGUAGE_MODELLING: &[Step] = &[
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

pub(super) const PRETRAINING_AND_FINE_TUNING: &[Step] = &[
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
