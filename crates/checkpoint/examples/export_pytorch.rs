//! Export a trained model to PyTorch's names and layout, and record what
//! the course computes with it, for `scripts/pytorch/load_char_lstm.py` and
//! `load_gpt.py` to reproduce.
//!
//! ```text
//! cargo build --release -p lstm-gru --features examples --example lstm_sonnets
//! ./target/release/examples/lstm_sonnets --cell lstm --steps 2000 \
//!     --save target/pytorch/char-lstm.safetensors
//! cargo run --release -p checkpoint --features examples --example export_pytorch -- \
//!     --model lstm --from target/pytorch/char-lstm.safetensors \
//!     --out target/pytorch/char-lstm-torch.safetensors
//! ```
//!
//! and the same with `--model gpt` for a GPT saved by transformer's
//! `sonnets` example. It writes the PyTorch-layout file (`--out`) and,
//! beside it, `<out>.course.json`: the prompt, the course's greedy
//! continuation, its validation loss (nats per character, the validation
//! text being the last 10% of the Sonnets, as in training) and that text.
//! Before writing, it imports the exported file back into a course model
//! and checks that the greedy text and the loss come out the same, bit for
//! bit.
//!
//! And back from PyTorch: `--back FILE` (with `--model` and `--from`)
//! reads a file that PyTorch wrote (`load_char_lstm.py --save-back FILE`),
//! maps it to the course's names and layout, and checks that every tensor
//! is the one in `--from`, bit for bit.

use checkpoint::char_model::CHAR_LSTM;
use checkpoint::{CharConfig, Checkpoint, torch};
use clap::Parser;
use datasets::text::{Vocab, one_hot, split};
use foundations::{DMatrix, rng};
use lstm_gru::Lstm;
use std::path::{Path, PathBuf};
use transformer::{Config, Gpt, fast_gpt};
use vanilla_rnn_bptt::{Output, RecurrentCell, RecurrentModel, evaluate};

type Res<T> = Result<T, Box<dyn std::error::Error>>;
type CharLstm = RecurrentModel<Lstm>;

#[derive(Parser, Debug)]
struct Args {
    /// `lstm` (a `char-lstm` checkpoint) or `gpt` (a `gpt` checkpoint).
    #[arg(long)]
    model: String,
    /// The course checkpoint to export.
    #[arg(long)]
    from: PathBuf,
    /// Where to write the PyTorch-layout safetensors file.
    #[arg(long, required_unless_present = "back")]
    out: Option<PathBuf>,
    /// The prompt the greedy continuation starts from.
    #[arg(long, default_value = "Shall I compare thee")]
    prompt: String,
    /// Characters of greedy continuation.
    #[arg(long, default_value_t = 200)]
    chars: usize,
    /// Instead of exporting: read this file, written by PyTorch
    /// (`load_char_lstm.py` / `load_gpt.py --save-back`), bring it back to
    /// the course's names and layout, and check that every tensor is the
    /// one in `--from`, bit for bit.
    #[arg(long)]
    back: Option<PathBuf>,
}

/// The first index of the largest entry of column `j` (greedy decoding).
fn argmax(z: &DMatrix<f64>, j: usize) -> usize {
    let col = z.column(j);
    (0..col.len()).fold(0, |best, i| if col[i] > col[best] { i } else { best })
}

/// The LSTM's greedy continuation of `prompt`, through the course's engine
/// step (state from zero, the prompt fed first).
fn lstm_greedy(m: &CharLstm, prompt: &[usize], n: usize) -> Vec<usize> {
    let v = m.outputs();
    let mut state = m.cell.zero_state(1);
    let mut logits = DMatrix::zeros(v, 1);
    let mut out = Vec::new();
    let mut feed = prompt.to_vec();
    while out.len() < n {
        for &id in &feed {
            let (next, _) = m.cell.step_forward(&state, &one_hot(&[id], v));
            logits = m.out.forward(&next.h).0;
            state = next;
        }
        let id = argmax(&logits, 0);
        out.push(id);
        feed = vec![id];
    }
    out
}

/// The GPT's greedy continuation (the context cut to the last `T_max`).
fn gpt_greedy(m: &Gpt, prompt: &[usize], n: usize) -> Vec<usize> {
    let mut ids = prompt.to_vec();
    for _ in 0..n {
        let start = ids.len().saturating_sub(m.config.max_len);
        let z = fast_gpt::logits(m, &ids[start..]);
        ids.push(argmax(&z, z.ncols() - 1));
    }
    ids[prompt.len()..].to_vec()
}

fn build_lstm(c: &CharConfig) -> Result<CharLstm, foundations::Error> {
    let (v, n, r) = (c.chars().len(), c.hidden, &mut rng(0));
    RecurrentModel::new(Lstm::new(v, n, r)?, Output::new(n, v, r)?)
}

/// What the course computes with a model: (greedy ids, validation loss).
struct Measured {
    greedy: Vec<usize>,
    loss: f64,
}

fn measure_lstm(
    ck: &Checkpoint,
    prompt: &[usize],
    n: usize,
    val: &[usize],
) -> Res<Measured> {
    let config: CharConfig = ck.config()?;
    let mut m = build_lstm(&config)?;
    ck.load_into(&mut m)?;
    Ok(Measured {
        greedy: lstm_greedy(&m, prompt, n),
        loss: evaluate(&m, val, 100)?,
    })
}

fn measure_gpt(
    ck: &Checkpoint,
    prompt: &[usize],
    n: usize,
    val: &[usize],
) -> Res<(Measured, Gpt)> {
    let config: Config = ck.config()?;
    let mut m = Gpt::new(config, &mut rng(0))?;
    ck.load_into(&mut m)?;
    let t = config.max_len;
    let windows: Vec<Vec<usize>> =
        val.chunks_exact(t + 1).map(<[usize]>::to_vec).collect();
    let measured = Measured {
        greedy: gpt_greedy(&m, prompt, n),
        loss: fast_gpt::loss(&m, &windows),
    };
    Ok((measured, m))
}

/// The model PyTorch wrote, back in the course's layout, against the
/// course's own checkpoint.
fn check_back(course: &Checkpoint, path: &Path, model: &str) -> Res<()> {
    let written = Checkpoint::load(path)?;
    let back = match model {
        "lstm" => torch::char_lstm_from_torch(&written)?,
        _ => torch::gpt_from_torch(&written)?,
    };
    back.expect_config(&course.config)?;
    let bits = |t: &checkpoint::Tensor| {
        (
            t.shape.clone(),
            t.data.iter().map(|x| x.to_bits()).collect(),
        )
    };
    let names = |c: &Checkpoint| c.tensors.keys().cloned().collect::<Vec<_>>();
    if names(&back) != names(course) {
        return Err(format!(
            "tensors {:?} vs {:?}",
            names(&back),
            names(course)
        )
        .into());
    }
    for (name, t) in &course.tensors {
        let b: (Vec<usize>, Vec<u64>) = bits(&back.tensors[name]);
        if b != bits(t) {
            return Err(format!(
                "{name} differs after the trip through PyTorch"
            )
            .into());
        }
    }
    println!(
        "{}: the {} tensors PyTorch wrote, back in the course's layout, are \
         those of {} bit for bit",
        path.display(),
        written.tensors.len(),
        course.kind
    );
    Ok(())
}

fn main() -> Res<()> {
    let args = Args::parse();
    let course = Checkpoint::load(&args.from)?;
    let out = match (&args.back, &args.out) {
        (Some(path), _) => return check_back(&course, path, &args.model),
        (None, Some(out)) => out,
        (None, None) => unreachable!("clap requires --out without --back"),
    };
    let text = datasets::sonnets();
    let vocab = Vocab::from_text(text)?;
    let ids = vocab.encode(text)?;
    let val = split(&ids, 0.9).1.to_vec();
    let prompt = vocab.encode(&args.prompt)?;
    let (measured, exported, back) = match args.model.as_str() {
        "lstm" => {
            course.expect_kind(CHAR_LSTM)?;
            let config: CharConfig = course.config()?;
            if config.chars() != vocab.chars() {
                return Err("the model's vocabulary is not the Sonnets'".into());
            }
            let measured = measure_lstm(&course, &prompt, args.chars, &val)?;
            let exported = torch::char_lstm_to_torch(&course)?;
            let back = torch::char_lstm_from_torch(&Checkpoint::from_bytes(
                &exported.to_bytes(),
            )?)?;
            let again = measure_lstm(&back, &prompt, args.chars, &val)?;
            (measured, exported, again)
        }
        "gpt" => {
            course.expect_kind("gpt")?;
            let (measured, m) =
                measure_gpt(&course, &prompt, args.chars, &val)?;
            let exported = torch::gpt_to_torch(&course, m.pos.table())?;
            let back = torch::gpt_from_torch(&Checkpoint::from_bytes(
                &exported.to_bytes(),
            )?)?;
            let (again, _) = measure_gpt(&back, &prompt, args.chars, &val)?;
            (measured, exported, again)
        }
        other => {
            return Err(format!("--model {other}: expected lstm or gpt").into());
        }
    };
    // the exported file, imported back, gives the same numbers to the bit
    assert_eq!(
        back.greedy, measured.greedy,
        "greedy text after the round trip"
    );
    assert_eq!(
        back.loss.to_bits(),
        measured.loss.to_bits(),
        "validation loss after the round trip"
    );
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    exported.save(out)?;
    let greedy = vocab.decode(&measured.greedy)?;
    let record = serde_json::json!({
        "model": args.model,
        "course_checkpoint": args.from.display().to_string(),
        "torch_file": out.display().to_string(),
        "prompt": args.prompt,
        "greedy": greedy,
        "validation_loss": measured.loss,
        "validation_chars": val.len(),
        "validation_text": vocab.decode(&val)?,
        "vocab": vocab.chars().iter().collect::<String>(),
    });
    let json_path = PathBuf::from(format!("{}.course.json", out.display()));
    std::fs::write(&json_path, serde_json::to_string_pretty(&record)?)?;
    println!(
        "exported {} ({} tensors) to {}\ncourse: validation loss {:.15} nats/char\n\
         greedy: {}{}\nrecorded in {}",
        args.from.display(),
        exported.tensors.len(),
        out.display(),
        measured.loss,
        args.prompt,
        greedy,
        Path::new(&json_path).display()
    );
    Ok(())
}
