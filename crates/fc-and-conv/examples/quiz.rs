//! The lecture's parameter-count quiz, answered by building the layers with
//! the engine and counting their parameters (`ParamsExt::num_params`):
//! three 3x3 stride-2 SAME convolutions with 100, 200 and 400 maps on a
//! 200x300x3 image, against one fully connected layer of 100 neurons.
//!
//! `cargo run --release -p fc-and-conv --features examples --example quiz` prints the table and
//! the error a convolution that does not tile gives; with `--figures` it
//! writes them to `book/src/figures/fc-and-conv-quiz.md` and
//! `book/src/figures/fc-and-conv-tiling-error.txt`.

use clap::Parser;
use fc_and_conv::{Affine, Conv, Padding, Shape};
use foundations::ParamsExt;
use foundations::figures::figure_path;
use std::fmt::Write as _;

#[derive(Debug, Parser)]
struct Args {
    /// Write the table and the error into book/src/figures.
    #[arg(long)]
    figures: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut rng = foundations::rng(0);
    let input = Shape::new(3, 200, 300);
    let mut table = String::from(
        "| layer | filters | output (depth x height x width) | parameters |\n\
         |---|---|---|---:|\n",
    );
    writeln!(table, "| input | | {input} | |")?;
    let mut shape = input;
    let mut total = 0;
    for (i, k) in [100, 200, 400].into_iter().enumerate() {
        let conv = Conv::new(shape, k, 3, 2, Padding::Same, &mut rng)?;
        let n = conv.num_params();
        writeln!(
            table,
            "| conv {} | {k} of 3x3x{} | {} | {n} |",
            i + 1,
            shape.depth,
            conv.output_shape(),
        )?;
        shape = conv.output_shape();
        total += n;
    }
    writeln!(table, "| **total** | | | **{total}** |")?;
    let fc = Affine::new(input.len(), 100, &mut rng)?;
    writeln!(
        table,
        "| one fully connected layer | 100 neurons on all {} inputs | \
         100x1x1 | {} |",
        input.len(),
        fc.num_params()
    )?;
    // The slide's N = 7, F = 3 with stride 3 does not tile: the error the
    // layer gives when it is built.
    let err = Conv::new(Shape::new(1, 7, 7), 1, 3, 3, Padding::VALID, &mut rng)
        .expect_err("N = 7, F = 3, S = 3 must not tile");
    let text = format!("{err}\n");
    print!("{text}");
    print!("{table}");
    if args.figures {
        for (name, contents) in [
            ("fc-and-conv-tiling-error.txt", &text),
            ("fc-and-conv-quiz.md", &table),
        ] {
            let path = figure_path(env!("CARGO_MANIFEST_DIR"), name);
            std::fs::write(&path, contents)?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
