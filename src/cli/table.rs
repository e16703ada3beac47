//! Numeric CSV input: rows of comma-separated finite numbers, all of one width; a first row
//! that does not parse is taken as a header.
use super::UsageError;
use std::path::Path;

/// The table's columns.
pub fn read_columns(path: &Path) -> Result<Vec<Vec<f64>>, UsageError> {
    let text = super::source::read_text_file(path, "CSV", super::source::MAX_CSV_FILE)?;
    let mut columns: Vec<Vec<f64>> = vec![];
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let values: Result<Vec<f64>, _> =
            line.split(',').map(|v| v.trim().parse::<f64>()).collect();
        match values {
            Err(_) if i == 0 => continue,
            Ok(v)
                if v.iter().all(|x| x.is_finite())
                    && (columns.is_empty() || v.len() == columns.len()) =>
            {
                if columns.is_empty() {
                    columns = vec![vec![]; v.len()];
                }
                columns.iter_mut().zip(v).for_each(|(c, x)| c.push(x));
            }
            _ => {
                let width = if columns.is_empty() {
                    String::from("the same count of")
                } else {
                    columns.len().to_string()
                };
                return Err(UsageError(format!(
                    "{} line {}: expected {width} finite numbers",
                    path.display(),
                    i + 1
                )));
            }
        }
    }
    if columns.is_empty() {
        return Err(UsageError(format!(
            "{}: no rows of numbers",
            path.display()
        )));
    }
    Ok(columns)
}

/// Exactly `dim` columns, as interleaved f32 points.
pub fn read_points(path: &Path, dim: usize) -> Result<Vec<f32>, UsageError> {
    let columns = read_columns(path)?;
    if columns.len() != dim {
        return Err(UsageError(format!(
            "{}: expected {dim} finite numbers per row, found {}",
            path.display(),
            columns.len()
        )));
    }
    // the core computes in f32: a larger number would become infinity there
    for (j, column) in columns.iter().enumerate() {
        if let Some(i) = column.iter().position(|x| x.abs() > f32::MAX as f64) {
            return Err(UsageError(format!(
                "{}: {:e} (data row {}, column {}) is out of range; points may be at most ±{:e}",
                path.display(),
                column[i],
                i + 1,
                j + 1,
                f32::MAX
            )));
        }
    }
    Ok((0..columns[0].len())
        .flat_map(|i| columns.iter().map(move |c| c[i] as f32))
        .collect())
}
