//! The "what transfers" table's data: cells from the experiment sheet and the token and span labs,
//! arranged as one row per task with the latest score of each approach (see `labs::transfer_table`).

use bertlab_protocol::training::{Approach, SheetRow, TransferCell};

/// The sheet's rows as cells: each data set's accuracy (the one-segment ablation left out).
pub fn sheet_cells(rows: &[SheetRow]) -> Vec<TransferCell> {
    rows.iter()
        .filter(|r| r.segments == Default::default() && r.note.is_empty() && !r.stopped_early)
        .map(|r| TransferCell {
            task: format!("{} (accuracy)", r.dataset),
            approach: r.approach,
            value: r.accuracy as f32,
            examples: r.train_examples,
        })
        .collect()
}

/// One row per task, in the order tasks were first measured, with the latest cell of each approach.
pub fn table(cells: &[TransferCell]) -> Vec<(String, [Option<TransferCell>; 4])> {
    let mut rows: Vec<(String, [Option<TransferCell>; 4])> = Vec::new();
    for cell in cells {
        let column = Approach::ALL
            .iter()
            .position(|a| *a == cell.approach)
            .unwrap_or(0);
        let at = match rows.iter().position(|(task, _)| *task == cell.task) {
            Some(at) => at,
            None => {
                rows.push((cell.task.clone(), Default::default()));
                rows.len() - 1
            }
        };
        rows[at].1[column] = Some(cell.clone());
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(task: &str, approach: Approach, value: f32) -> TransferCell {
        TransferCell {
            task: task.into(),
            approach,
            value,
            examples: 10,
        }
    }

    #[test]
    fn each_task_is_a_row_with_its_latest_score_per_approach() {
        let rows = table(&[
            cell("entities (entity F1)", Approach::Frozen, 0.5),
            cell("span QA (F1)", Approach::BagOfWords, 0.7),
            cell("entities (entity F1)", Approach::Full, 0.8),
            cell("entities (entity F1)", Approach::Frozen, 0.6),
        ]);
        assert_eq!(rows.len(), 2);
        let (task, cells) = &rows[0];
        assert_eq!(task, "entities (entity F1)");
        let values: Vec<Option<f32>> = cells.iter().map(|c| c.as_ref().map(|c| c.value)).collect();
        assert_eq!(values, [None, Some(0.6), Some(0.8), None]);
        assert_eq!(rows[1].1[0].as_ref().map(|c| c.value), Some(0.7));
    }
}
