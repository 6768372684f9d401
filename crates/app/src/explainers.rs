//! The lessons' non-lab widgets: the recipe table with live parameter counts, the pretrain-then-
//! fine-tune workflow, and what a pretrained encoder hands downstream.

use leptos::prelude::*;

use super::recipes::recipes;

/// BERT and its successors side by side, sizes computed from their configurations.
#[component]
pub fn RecipeTable() -> impl IntoView {
    let millions = |n: usize| format!("{:.1}M", n as f64 / 1e6);
    view! {
        <div class="table-scroll">
            <table class="recipes" id="recipe-table">
                <caption>"Base-size models; parameter counts of the published checkpoints"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Model"</th>
                        <th scope="col">"Objectives"</th>
                        <th scope="col">"What changed"</th>
                        <th scope="col">"Why it mattered"</th>
                        <th scope="col">"Parameters"</th>
                        <th scope="col">"of which embeddings"</th>
                    </tr>
                </thead>
                <tbody>
                    {recipes().into_iter().map(|r| {
                        let shape = format!(
                            "{} layers{}, hidden {}, vocabulary {}",
                            r.layers,
                            if r.shared_layers { " (one shared set)" } else { "" },
                            r.hidden,
                            r.vocabulary
                        );
                        view! {
                            <tr>
                                <th scope="row">{r.name}<span class="meta block">{shape}</span></th>
                                <td>{r.objectives}</td>
                                <td>{r.changed}</td>
                                <td>{r.why}</td>
                                <td class="num">{millions(r.parameters)}</td>
                                <td class="num">{format!("{:.0}%", 100.0 * r.embedding_parameters as f64 / r.parameters as f64)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Unlabelled text → masked-LM pretraining → checkpoint → one head per task.
#[component]
pub fn Workflow() -> impl IntoView {
    view! {
        <figure class="flow" aria-label="Pretraining then fine-tuning">
            <ol class="flow-steps">
                <li><strong>"Unlabelled text"</strong><span>"books, articles, anything written"</span></li>
                <li><strong>"Masked-LM pretraining"</strong><span>"guess hidden tokens; no labels needed"</span></li>
                <li><strong>"Pretrained checkpoint"</strong><span>"general-purpose contextual features"</span></li>
            </ol>
            <ul class="flow-heads">
                <li><strong>"Sequence head"</strong><span>"one label per text: intent, sentiment, entailment"</span></li>
                <li><strong>"Token head"</strong><span>"one label per token: names, places, parts of speech"</span></li>
                <li><strong>"Span head"</strong><span>"start and end of an answer inside a passage"</span></li>
            </ul>
            <figcaption>"Pretraining happens once; each task adds a small head and a little labelled data."</figcaption>
        </figure>
    }
}

/// The features a pretrained encoder offers, and the two ways of using them.
#[component]
pub fn Transfer() -> impl IntoView {
    view! {
        <figure class="flow" aria-label="What transfers downstream">
            <ul class="flow-heads">
                <li><strong>"Contextual token vectors"</strong><span>"one vector per token, shaped by the whole sentence: tagging, span extraction"</span></li>
                <li><strong>"Pooled [CLS] output"</strong><span>"one vector per input: classification, sentence-pair tasks"</span></li>
                <li><strong>"Layer-wise features"</strong><span>"lower layers hold more surface form, upper layers more meaning; mix them"</span></li>
            </ul>
            <div class="compare-two">
                <div><strong>"Frozen features"</strong>
                    <p>"Encoder weights stay fixed; only the head learns. Cheap, one encoder serves many tasks, but the features cannot adapt."</p></div>
                <div><strong>"Full fine-tuning"</strong>
                    <p>"Every weight moves a little for the task. Usually the most accurate; needs a copy of the model per task."</p></div>
            </div>
            <figcaption>"Same checkpoint, different amounts of it trained."</figcaption>
        </figure>
    }
}
