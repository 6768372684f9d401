//! Backprop works for every family: gradients reach every weight, and 20 AdamW steps on a tiny
//! batch lower the masked-LM loss.

use bertlab_core::model::{
    masked_lm_loss, EncoderConfig, EncoderInput, Family, Internals, Loaded, MaskedLm, Mode,
};
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

const MASK_ID: u32 = 4;

/// Two sentences with two masked positions each; labels hold the original ids there, -100 elsewhere.
fn batch(cfg: &EncoderConfig) -> (EncoderInput, Tensor) {
    let dev = Device::Cpu;
    let rows = [vec![2u32, 10, 11, 12, 13, 14, 3], vec![2, 20, 21, 22, 3]];
    let masked_at = [[2usize, 5], [1, 3]];
    let mut ids = rows.to_vec();
    let mut labels = vec![vec![-100i64; 7]; 2];
    for (r, positions) in masked_at.iter().enumerate() {
        for &p in positions {
            labels[r][p] = rows[r][p] as i64;
            ids[r][p] = MASK_ID;
        }
    }
    let input = EncoderInput::from_rows(&ids, None, cfg.pad_token_id, &dev).unwrap();
    let labels = Tensor::new(labels, &dev).unwrap();
    (input, labels)
}

fn loss(model: &MaskedLm, input: &EncoderInput, labels: &Tensor, mode: Mode) -> Tensor {
    let input = input.clone().with_mode(mode);
    let logits = model.forward(&input, &Internals::none()).unwrap().logits;
    masked_lm_loss(&logits, labels).unwrap()
}

#[test]
fn twenty_adamw_steps_lower_the_mlm_loss() {
    for family in Family::ALL {
        let cfg = EncoderConfig::tiny(family);
        let loaded = Loaded::<MaskedLm>::random(&cfg, 42, &Device::Cpu).unwrap();
        let (input, labels) = batch(&cfg);
        let before = loss(&loaded.model, &input, &labels, Mode::Grad);

        // Every weight gets a gradient: no op on the path silently stops backprop.
        let grads = before.backward().unwrap();
        for (name, var) in loaded.varmap.data().lock().unwrap().iter() {
            assert!(
                grads.get(var.as_tensor()).is_some(),
                "{family}: no gradient for {name}"
            );
        }

        let params = ParamsAdamW {
            lr: 3e-3,
            ..ParamsAdamW::default()
        };
        let mut opt = AdamW::new(loaded.varmap.all_vars(), params).unwrap();
        for _ in 0..20 {
            let l = loss(&loaded.model, &input, &labels, Mode::Train);
            opt.backward_step(&l).unwrap();
        }
        let after = loss(&loaded.model, &input, &labels, Mode::Grad);
        let (b, a) = (
            before.to_scalar::<f32>().unwrap(),
            after.to_scalar::<f32>().unwrap(),
        );
        assert!(a < 0.75 * b, "{family}: loss {b} -> {a}");
    }
}
