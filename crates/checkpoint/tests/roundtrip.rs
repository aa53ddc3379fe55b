//! Every model type the course saves goes through a file and comes back
//! bit for bit; every kind of bad file is refused with an error that names
//! what is wrong.

use checkpoint::char_model::{CHAR_LSTM, CHAR_RNN};
use checkpoint::{CharConfig, Checkpoint, CheckpointError, Tensor};
use foundations::{DMatrix, Params, rng};
use lstm_gru::Lstm;
use pooling::{ConvNet, ConvNetConfig};
use std::path::PathBuf;
use transformer::{Activation, Config, Gpt, Norm, PositionKind};
use vanilla_rnn_bptt::{Output, RecurrentModel, RnnCell};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("checkpoint-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}-{}.safetensors", std::process::id()))
}

/// Every parameter of `a` and `b`, by name, as bits.
fn bits<P: Params>(p: &P) -> Vec<(String, Vec<usize>, Vec<u64>)> {
    let mut out = Vec::new();
    p.visit(&mut |n, m| {
        let v = m.iter().map(|x| x.to_bits()).collect();
        out.push((n.to_string(), vec![m.nrows(), m.ncols()], v));
    });
    out
}

fn gpt_config(positions: PositionKind) -> Config {
    Config {
        vocab: 7,
        d: 8,
        heads: 2,
        layers: 2,
        d_ff: 12,
        max_len: 5,
        norm: Norm::Pre,
        positions,
        activation: Activation::Gelu,
    }
}

#[test]
fn a_gpt_round_trips_bit_for_bit() {
    for positions in [PositionKind::Sinusoidal, PositionKind::Learned] {
        let model = Gpt::new(gpt_config(positions), &mut rng(1)).unwrap();
        let path = temp("gpt");
        checkpoint::save(&path, "gpt", &model.config, &model).unwrap();
        let (config, back): (Config, Gpt) =
            checkpoint::load(&path, "gpt", |c: &Config| {
                Gpt::new(*c, &mut rng(9))
            })
            .unwrap();
        assert_eq!(config, model.config);
        assert_eq!(bits(&back), bits(&model));
        assert_eq!(back, model, "{positions:?}");
    }
}

#[test]
fn a_char_lstm_round_trips_bit_for_bit() {
    let mut r = rng(2);
    let model = RecurrentModel::new(
        Lstm::new(5, 3, &mut r).unwrap(),
        Output::new(3, 5, &mut r).unwrap(),
    )
    .unwrap();
    let config = CharConfig::new(&['a', 'b', ' ', '\n', 'é'], 3);
    let path = temp("lstm");
    checkpoint::save(&path, CHAR_LSTM, &config, &model).unwrap();
    let (back_config, back) =
        checkpoint::load(&path, CHAR_LSTM, |c: &CharConfig| {
            let (v, n, r) = (c.vocab.chars().count(), c.hidden, &mut rng(0));
            RecurrentModel::new(Lstm::new(v, n, r)?, Output::new(n, v, r)?)
        })
        .unwrap();
    assert_eq!(back_config, config);
    assert_eq!(back_config.chars()[4], 'é');
    assert_eq!(bits(&back), bits(&model));
}

#[test]
fn a_char_rnn_round_trips_bit_for_bit() {
    let mut r = rng(3);
    let model = RecurrentModel::new(
        RnnCell::new(4, 6, &mut r).unwrap(),
        Output::new(6, 4, &mut r).unwrap(),
    )
    .unwrap();
    let config = CharConfig::new(&['h', 'e', 'l', 'o'], 6);
    let path = temp("rnn");
    checkpoint::save(&path, CHAR_RNN, &config, &model).unwrap();
    let (_, back) = checkpoint::load(&path, CHAR_RNN, |c: &CharConfig| {
        let (v, n, r) = (c.vocab.chars().count(), c.hidden, &mut rng(0));
        RecurrentModel::new(RnnCell::new(v, n, r)?, Output::new(n, v, r)?)
    })
    .unwrap();
    assert_eq!(bits(&back), bits(&model));
}

#[test]
fn a_convnet_round_trips_bit_for_bit() {
    let config = ConvNetConfig::default();
    let net = ConvNet::new(config, &mut rng(4)).unwrap();
    let path = temp("convnet");
    checkpoint::save(&path, "convnet", &config, &net.params()).unwrap();
    let ck = Checkpoint::load(&path).unwrap();
    let back_config: ConvNetConfig = ck.config().unwrap();
    let mut back = ConvNet::new(back_config, &mut rng(5)).unwrap();
    let mut params = back.params();
    ck.load_into(&mut params).unwrap();
    back.set_params(params);
    assert_eq!(back.config(), config);
    assert_eq!(bits(&back.params()), bits(&net.params()));
    assert!(bits(&net.params()).iter().any(|(n, _, _)| n == "conv1.w.0"));
}

#[test]
fn a_matrix_is_stored_row_major_with_its_shape() {
    let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let t = Tensor::from_matrix(&m);
    assert_eq!(t.shape, vec![2, 3]);
    assert_eq!(t.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(t.to_matrix().unwrap(), m);
}

// ---- bad files: one test each ----------------------------------------

fn small() -> (Config, Gpt, Checkpoint) {
    let model =
        Gpt::new(gpt_config(PositionKind::Learned), &mut rng(6)).unwrap();
    let ck = Checkpoint::of("gpt", &model.config, &model);
    (model.config, model, ck)
}

#[test]
fn a_tensor_of_the_wrong_shape_is_named_with_both_shapes() {
    let (_, mut model, mut ck) = small();
    ck.tensors.insert(
        "blocks.1.ffn.b1".into(),
        Tensor::from_matrix(&DMatrix::zeros(11, 1)),
    );
    let ck = Checkpoint::from_bytes(&ck.to_bytes()).unwrap();
    let e = ck.load_into(&mut model).unwrap_err();
    assert!(matches!(e, CheckpointError::Shape { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "checkpoint: tensor blocks.1.ffn.b1 has shape [11, 1], the model's is \
         [12, 1]"
    );
}

#[test]
fn a_tensor_that_is_not_float64_is_refused() {
    let data: Vec<u8> =
        [1.0f32, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    let view = safetensors::tensor::TensorView::new(
        safetensors::Dtype::F32,
        vec![2, 1],
        &data,
    )
    .unwrap();
    let meta = [
        ("kind".to_string(), "gpt".to_string()),
        ("config".to_string(), "{}".to_string()),
    ];
    let bytes = safetensors::serialize(
        [("ln_f.beta", view)],
        Some(meta.into_iter().collect()),
    )
    .unwrap();
    let e = Checkpoint::from_bytes(&bytes).unwrap_err();
    assert!(matches!(e, CheckpointError::Dtype { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "checkpoint: tensor ln_f.beta is F32, expected F64 (float64)"
    );
}

#[test]
fn a_missing_tensor_is_named() {
    let (_, mut model, mut ck) = small();
    ck.tensors.remove("blocks.0.attn.w_k");
    let e = ck.load_into(&mut model).unwrap_err();
    assert!(matches!(e, CheckpointError::Missing { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("tensor blocks.0.attn.w_k is missing"),
        "{e}"
    );
}

#[test]
fn an_extra_tensor_is_named() {
    let (_, mut model, mut ck) = small();
    ck.tensors.insert(
        "blocks.2.attn.w_q".into(),
        Tensor::from_matrix(&DMatrix::zeros(8, 8)),
    );
    let e = ck.load_into(&mut model).unwrap_err();
    assert!(matches!(e, CheckpointError::Extra { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("blocks.2.attn.w_q is not a parameter of the model"),
        "{e}"
    );
}

#[test]
fn a_configuration_that_differs_names_the_field_and_both_values() {
    let (config, model, _) = small();
    let path = temp("config");
    checkpoint::save(&path, "gpt", &config, &model).unwrap();
    let ck = Checkpoint::load(&path).unwrap();
    let other = Config { d_ff: 16, ..config };
    let e = ck.expect_config(&other).unwrap_err();
    assert!(matches!(e, CheckpointError::Config { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "checkpoint: configuration d_ff is 12 in the file, 16 in the model"
    );
    // and a file of another kind of model
    let e = checkpoint::load(&path, CHAR_LSTM, |c: &CharConfig| {
        let (v, n, r) = (c.vocab.len(), c.hidden, &mut rng(0));
        RecurrentModel::new(Lstm::new(v, n, r)?, Output::new(n, v, r)?)
    })
    .unwrap_err();
    assert!(matches!(e, CheckpointError::Kind { .. }), "{e}");
}

#[test]
fn a_truncated_file_is_called_truncated() {
    let (_, _, ck) = small();
    let bytes = ck.to_bytes();
    for cut in [3, 40, bytes.len() - 8] {
        let e = Checkpoint::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(e, CheckpointError::Truncated { .. }),
            "{cut}: {e:?}"
        );
        assert!(
            e.to_string().starts_with(&format!(
                "checkpoint: the file is truncated: {cut} bytes"
            )),
            "{e}"
        );
    }
    assert!(Checkpoint::from_bytes(&bytes).is_ok());
}

#[test]
fn a_file_that_is_not_safetensors_is_a_format_error() {
    let mut bytes = 8u64.to_le_bytes().to_vec();
    bytes.extend(b"not json");
    let e = Checkpoint::from_bytes(&bytes).unwrap_err();
    assert!(matches!(e, CheckpointError::Format(_)), "{e:?}");
}
