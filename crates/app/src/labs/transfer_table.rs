//! "What transfers", measured: for every task a lab trained in this browser (the fine-tune lab's
//! sheet, the tagging and span-QA labs' runs), the latest held-out score of the baseline that
//! reads no encoder, the frozen encoder, full fine-tuning and the same model from random weights.

use leptos::prelude::*;

use crate::stored;
use crate::transfer::{sheet_cells, table};
use bertlab_protocol::training::{SheetRow, TransferCell};

/// localStorage key of the token and span labs' cells (the sheet keeps its own rows).
const TRANSFER_KEY: &str = "bertlab.transfer";

/// Keeps `cells`, each replacing the stored one of its task and approach.
pub fn record(cells: &[TransferCell]) {
    let mut stored_cells: Vec<TransferCell> = stored::load(TRANSFER_KEY);
    for cell in cells {
        stored_cells.retain(|c| !(c.task == cell.task && c.approach == cell.approach));
        stored_cells.push(cell.clone());
    }
    stored::save(TRANSFER_KEY, &stored_cells);
}

/// The table, under the experiment sheet.
#[component]
pub fn TransferTable(
    /// The fine-tune lab's sheet (its rows are cells too).
    sheet: RwSignal<Vec<SheetRow>>,
) -> impl IntoView {
    let rows = move || {
        let mut cells = sheet_cells(&sheet.get());
        cells.extend(stored::load::<Vec<TransferCell>>(TRANSFER_KEY));
        table(&cells)
    };
    move || {
        let rows = rows();
        (!rows.is_empty()).then(|| view! {
            <div class="table-scroll">
            <table class="transfer">
                <caption>"What transfers, measured in this browser: each task's latest held-out score (training examples in brackets)"</caption>
                <thead><tr>
                    <th scope="col">"Task (score)"</th>
                    <th scope="col" class="num">"Baseline, no encoder"</th>
                    <th scope="col" class="num">"Frozen encoder"</th>
                    <th scope="col" class="num">"Full fine-tuning"</th>
                    <th scope="col" class="num">"Random init"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|(task, cells)| view! {
                        <tr>
                            <th scope="row">{task}</th>
                            {cells.into_iter().map(|c| view! {
                                <td class="num">{c.map_or("–".to_string(), |c| format!("{:.1}% ({})", c.value * 100.0, c.examples))}</td>
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <p class="muted">"The baseline is the bag of words for sentence tasks, each word's commonest tag for tagging and the word lookup for questions. Train the other approaches in the fine-tune, tagging and span-QA labs to fill the table."</p>
        })
    }
}
