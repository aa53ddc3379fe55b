//! The char LSTM and the tiny GPT under PyTorch's names and layout, and
//! back. The exported file is a safetensors file whose tensors are the
//! `state_dict` of the small torch modules in `scripts/pytorch/`
//! (`load_char_lstm.py`, `load_gpt.py`), so `load_state_dict(strict=True)`
//! takes it as it is.
//!
//! What changes on the way (book: *Appendices → Checkpoints and the export
//! to PyTorch*):
//!
//! * **LSTM gates.** The course stacks the gate rows of `W` and `b` as
//!   i, f, o, g (the slide's order); `torch.nn.LSTM` as i, f, g, o. The
//!   course's one `W = [W_h W_x]` acting on `[h_{t−1}; x_t]` splits into
//!   `weight_hh_l0` (its first `n` columns) and `weight_ih_l0` (the last
//!   `V`); PyTorch adds two biases, so `bias_ih_l0 = b`, `bias_hh_l0 = 0`.
//! * **Rows and columns.** The course's tokens are columns (`y = W x`);
//!   `nn.Linear` computes `y = x Wᵀ + b` on rows with `weight` `out x in`:
//!   the same matrix, so `W_q`, `W_o`, `W_1`, `W_2`, the output layers copy
//!   as they are. Embedding tables are transposed: the course's `W_E` is
//!   `d x V` (a column per token), `nn.Embedding.weight` is `V x d`, and so
//!   is the positional table (`T_max x d`).
//! * **Attention.** `nn.MultiheadAttention(bias=False)` packs
//!   `[W_Q; W_K; W_V]` into `in_proj_weight` (`3d x d`) and splits heads by
//!   the same consecutive rows as the course.

use crate::error::CheckpointError;
use crate::file::{Checkpoint, Tensor};
use foundations::DMatrix;

/// Kind of an exported char LSTM.
pub const TORCH_CHAR_LSTM: &str = "torch-char-lstm";
/// Kind of an exported GPT.
pub const TORCH_GPT: &str = "torch-gpt";

// ANCHOR: reorder
/// PyTorch's gate `k` (i, f, g, o) is the course's gate `TO_TORCH[k]`
/// (i, f, o, g); the permutation is its own inverse.
pub const TO_TORCH: [usize; 4] = [0, 1, 3, 2];

/// The rows of `m` (`4n x …`) with its four gate blocks in the other order.
pub fn reorder_gates(m: &DMatrix<f64>) -> DMatrix<f64> {
    let n = m.nrows() / 4;
    assert!(
        m.nrows() == 4 * n,
        "torch::reorder_gates: {} rows, expected 4n",
        m.nrows()
    );
    let mut out = m.clone();
    for (k, &from) in TO_TORCH.iter().enumerate() {
        out.rows_mut(k * n, n).copy_from(&m.rows(from * n, n));
    }
    out
}
// ANCHOR_END: reorder

fn matrix(
    ck: &Checkpoint,
    name: &str,
) -> Result<DMatrix<f64>, CheckpointError> {
    let t = ck
        .tensors
        .get(name)
        .ok_or_else(|| CheckpointError::Missing {
            name: name.to_string(),
        })?;
    match t.shape[..] {
        [_, _] => Ok(t.to_matrix().expect("rank 2")),
        [n] => Ok(DMatrix::from_column_slice(n, 1, &t.data)),
        _ => Err(CheckpointError::Shape {
            name: name.to_string(),
            file: t.shape.clone(),
            model: vec![0, 0],
        }),
    }
}

fn config_usize(ck: &Checkpoint, key: &str) -> Result<usize, CheckpointError> {
    ck.config
        .get(key)
        .and_then(serde_json::Value::as_u64)
        .map(|v| v as usize)
        .ok_or_else(|| {
            CheckpointError::Metadata(format!("config has no {key}"))
        })
}

fn with_kind(ck: &Checkpoint, kind: &str) -> Checkpoint {
    Checkpoint {
        kind: kind.to_string(),
        config: ck.config.clone(),
        tensors: Default::default(),
    }
}

/// A course char LSTM (`cell.w`, `cell.b`, `out.v`, `out.c`) as the
/// `state_dict` of `CharLstm` in `scripts/pytorch/load_char_lstm.py`:
/// `lstm.weight_ih_l0` (`4n x V`), `lstm.weight_hh_l0` (`4n x n`),
/// `lstm.bias_ih_l0`, `lstm.bias_hh_l0` (`4n`), `out.weight` (`V x n`),
/// `out.bias` (`V`).
///
/// # Errors
/// [`CheckpointError::Kind`] for another model, [`CheckpointError::Missing`]
/// for a missing tensor, [`CheckpointError::Metadata`] without `hidden`.
pub fn char_lstm_to_torch(
    ck: &Checkpoint,
) -> Result<Checkpoint, CheckpointError> {
    ck.expect_kind(crate::char_model::CHAR_LSTM)?;
    let n = config_usize(ck, "hidden")?;
    let w = reorder_gates(&matrix(ck, "cell.w")?);
    let b = reorder_gates(&matrix(ck, "cell.b")?);
    let d = w.ncols() - n;
    let mut out = with_kind(ck, TORCH_CHAR_LSTM);
    let mut put = |name: &str, t| {
        out.tensors.insert(name.to_string(), t);
    };
    // ANCHOR: lstm_to_torch
    // W [h; x] = W_h h + W_x x: the first n columns act on h
    put(
        "lstm.weight_hh_l0",
        Tensor::from_matrix(&w.columns(0, n).into_owned()),
    );
    put(
        "lstm.weight_ih_l0",
        Tensor::from_matrix(&w.columns(n, d).into_owned()),
    );
    put("lstm.bias_ih_l0", Tensor::vector(&b));
    put("lstm.bias_hh_l0", Tensor::vector(&DMatrix::zeros(4 * n, 1)));
    put("out.weight", Tensor::from_matrix(&matrix(ck, "out.v")?));
    put("out.bias", Tensor::vector(&matrix(ck, "out.c")?));
    // ANCHOR_END: lstm_to_torch
    Ok(out)
}

/// Back from [`char_lstm_to_torch`]'s layout (or any `nn.LSTM` of one
/// layer): `W = [W_hh W_ih]` and `b = b_ih + b_hh`, gates put back in the
/// course's order.
///
/// # Errors
/// As [`char_lstm_to_torch`].
pub fn char_lstm_from_torch(
    ck: &Checkpoint,
) -> Result<Checkpoint, CheckpointError> {
    ck.expect_kind(TORCH_CHAR_LSTM)?;
    let hh = matrix(ck, "lstm.weight_hh_l0")?;
    let ih = matrix(ck, "lstm.weight_ih_l0")?;
    let mut w = DMatrix::zeros(hh.nrows(), hh.ncols() + ih.ncols());
    w.columns_mut(0, hh.ncols()).copy_from(&hh);
    w.columns_mut(hh.ncols(), ih.ncols()).copy_from(&ih);
    let b = matrix(ck, "lstm.bias_ih_l0")? + matrix(ck, "lstm.bias_hh_l0")?;
    let mut out = with_kind(ck, crate::char_model::CHAR_LSTM);
    let mut put = |name: &str, m: &DMatrix<f64>| {
        out.tensors.insert(name.to_string(), Tensor::from_matrix(m));
    };
    put("cell.w", &reorder_gates(&w));
    put("cell.b", &reorder_gates(&b));
    put("out.v", &matrix(ck, "out.weight")?);
    put("out.c", &matrix(ck, "out.bias")?);
    Ok(out)
}

// ANCHOR: gpt_block
/// The course name of each torch tensor of one GPT block (empty: the
/// packed `[W_Q; W_K; W_V]`), and whether it is a vector.
const BLOCK: [(&str, &str, bool); 10] = [
    ("ln1.weight", "ln1.gamma", true),
    ("ln1.bias", "ln1.beta", true),
    ("attn.out_proj.weight", "attn.w_o", false),
    ("ln2.weight", "ln2.gamma", true),
    ("ln2.bias", "ln2.beta", true),
    ("ffn.0.weight", "ffn.w1", false),
    ("ffn.0.bias", "ffn.b1", true),
    ("ffn.2.weight", "ffn.w2", false),
    ("ffn.2.bias", "ffn.b2", true),
    ("attn.in_proj_weight", "", false),
];
// ANCHOR_END: gpt_block

/// A course GPT checkpoint (kind `"gpt"`) as the `state_dict` of `Gpt` in
/// `scripts/pytorch/load_gpt.py`: `wte.weight` (`V x d`), `pos`
/// (`T_max x d`, the table `positions` given here, fixed or learned),
/// per block `blocks.{l}.ln1.weight`, `.attn.in_proj_weight`
/// (`[W_Q; W_K; W_V]`), `.attn.out_proj.weight`, `.ln2.*`, `.ffn.0.*`,
/// `.ffn.2.*`, then `ln_f.weight`, `ln_f.bias`, `lm_head.weight` (`V x d`).
///
/// # Errors
/// [`CheckpointError::Kind`], [`CheckpointError::Missing`],
/// [`CheckpointError::Metadata`] without `layers`.
pub fn gpt_to_torch(
    ck: &Checkpoint,
    positions: &DMatrix<f64>,
) -> Result<Checkpoint, CheckpointError> {
    ck.expect_kind("gpt")?;
    let mut out = with_kind(ck, TORCH_GPT);
    let mut put = |name: String, t| {
        out.tensors.insert(name, t);
    };
    put(
        "wte.weight".into(),
        Tensor::from_matrix(&matrix(ck, "wte")?.transpose()),
    );
    put("pos".into(), Tensor::from_matrix(&positions.transpose()));
    for l in 0..config_usize(ck, "layers")? {
        for (torch, course, vector) in BLOCK {
            let t = if course.is_empty() {
                let q = matrix(ck, &format!("blocks.{l}.attn.w_q"))?;
                let k = matrix(ck, &format!("blocks.{l}.attn.w_k"))?;
                let v = matrix(ck, &format!("blocks.{l}.attn.w_v"))?;
                let d = q.ncols();
                let mut qkv = DMatrix::zeros(3 * q.nrows(), d);
                for (i, m) in [q, k, v].iter().enumerate() {
                    qkv.rows_mut(i * m.nrows(), m.nrows()).copy_from(m);
                }
                Tensor::from_matrix(&qkv)
            } else {
                let m = matrix(ck, &format!("blocks.{l}.{course}"))?;
                if vector {
                    Tensor::vector(&m)
                } else {
                    Tensor::from_matrix(&m)
                }
            };
            put(format!("blocks.{l}.{torch}"), t);
        }
    }
    put(
        "ln_f.weight".into(),
        Tensor::vector(&matrix(ck, "ln_f.gamma")?),
    );
    put(
        "ln_f.bias".into(),
        Tensor::vector(&matrix(ck, "ln_f.beta")?),
    );
    put(
        "lm_head.weight".into(),
        Tensor::from_matrix(&matrix(ck, "w_out")?),
    );
    Ok(out)
}

/// Back from [`gpt_to_torch`]'s layout to the course's names (kind
/// `"gpt"`); `pos` comes back as `pos.p` only when the configuration's
/// positions are learned.
///
/// # Errors
/// As [`gpt_to_torch`].
pub fn gpt_from_torch(ck: &Checkpoint) -> Result<Checkpoint, CheckpointError> {
    ck.expect_kind(TORCH_GPT)?;
    let mut out = with_kind(ck, "gpt");
    let mut put = |name: String, m: DMatrix<f64>| {
        out.tensors.insert(name, Tensor::from_matrix(&m));
    };
    put("wte".into(), matrix(ck, "wte.weight")?.transpose());
    if ck.config.get("positions").and_then(|p| p.as_str()) == Some("Learned") {
        put("pos.p".into(), matrix(ck, "pos")?.transpose());
    }
    for l in 0..config_usize(ck, "layers")? {
        for (torch, course, _) in BLOCK {
            let m = matrix(ck, &format!("blocks.{l}.{torch}"))?;
            if course.is_empty() {
                let d = m.nrows() / 3;
                for (i, name) in ["w_q", "w_k", "w_v"].iter().enumerate() {
                    let part = m.rows(i * d, d).into_owned();
                    put(format!("blocks.{l}.attn.{name}"), part);
                }
            } else {
                put(format!("blocks.{l}.{course}"), m);
            }
        }
    }
    put("ln_f.gamma".into(), matrix(ck, "ln_f.weight")?);
    put("ln_f.beta".into(), matrix(ck, "ln_f.bias")?);
    put("w_out".into(), matrix(ck, "lm_head.weight")?);
    Ok(out)
}
