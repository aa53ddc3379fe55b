//! The lecture's parameter-count quiz, answered by building the layers with
//! the engine and counting their parameters (`ParamsExt::num_params`):
//! three 3x3 stride-2 SAME convolutions with 100, 200 and 400 maps on a
//! 200x300x3 image, against one fully connected layer of 100 neurons.
//!
//! `cargo run --release -p fc-and-conv --example quiz` writes the table
//! `book/src/figures/fc-and-conv-quiz.md`, and the error a convolution that
//! does not tile gives to `book/src/figures/fc-and-conv-tiling-error.txt`.

use fc_and_conv::{Affine, Conv, Padding, Shape};
use foundations::ParamsExt;
use foundations::figures::figure_path;
use std::fmt::Write as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    let path =
        figure_path(env!("CARGO_MANIFEST_DIR"), "fc-and-conv-tiling-error.txt");
    std::fs::write(&path, &text)?;
    print!("{text}");
    let path = figure_path(env!("CARGO_MANIFEST_DIR"), "fc-and-conv-quiz.md");
    std::fs::write(&path, &table)?;
    print!("{table}");
    println!("wrote {}", path.display());
    Ok(())
}
