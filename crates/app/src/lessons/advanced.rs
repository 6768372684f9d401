//! The advanced track's lessons: pretraining objectives, the recipes after BERT, static versus
//! dynamic masking, what transfers downstream, the fine-tuning pattern, and the limits.

use super::step::{Step, Widget, ONE_EPOCH_OF_MASKS, STATIC_FOUR_COPIES};
use crate::lab_registry::LabId;

pub(super) const PRETRAINING_OBJECTIVES: &[Step] = &[
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

pub(super) const RECIPES_AFTER_BERT: &[Step] = &[
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

pub(super) const STATIC_VS_DYNAMIC_MASKING: &[Step] = &[
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

pub(super) const WHAT_TRANSFERS: &[Step] = &[
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
pub(super) const FINE_TUNING_PATTERN: &[Step] = &[
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

pub(super) const LIMITS: &[Step] = &[
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
