//! `resource.Quantity` in the canonical form Go's `MarshalJSON` writes, so that `cpu: 0.5`
//! hashes as Argo hashes it (`"500m"`), `memory: 1000` as `"1k"` and `2048Ki` as `"2Mi"`.
//!
//! A quantity is parsed into an exact decimal (integer mantissa times a power of ten), rounded
//! up to whole nano-units as Kubernetes does, then written back: binary quantities of at least
//! 1024 that are whole numbers keep a binary suffix (`Ki` … `Ei`) with the largest exponent that
//! divides them; everything else is written with the largest decimal exponent that is a
//! multiple of three, as an SI suffix (`n`, `u`, `m`, ``, `k` … `E`) or, for quantities written
//! with an exponent, as `e<n>`.

/// How the quantity was written, which decides how it is written back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// Why a string is not a quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityError {
    Empty,
    NoDigits,
    UnknownSuffix,
    OutOfRange,
}

impl std::fmt::Display for QuantityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QuantityError::Empty => "empty quantity",
            QuantityError::NoDigits => "no digits before the suffix",
            QuantityError::UnknownSuffix => "unknown suffix",
            QuantityError::OutOfRange => "outside the range this encoder supports (64-bit)",
        })
    }
}

/// The canonical string Go writes for the quantity `text`.
pub fn canonical_quantity(text: &str) -> Result<String, QuantityError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(QuantityError::Empty);
    }
    let (negative, rest) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(QuantityError::NoDigits);
    }
    let digits: i128 = format!("{whole}{fraction}")
        .parse()
        .map_err(|_| QuantityError::OutOfRange)?;
    let (format, base, exponent) = parse_suffix(suffix)?;
    let fraction_len = i32::try_from(fraction.len()).map_err(|_| QuantityError::OutOfRange)?;

    let (mut mantissa, mut scale) = if base == 2 {
        let factor = 1i128
            .checked_shl(exponent as u32)
            .ok_or(QuantityError::OutOfRange)?;
        (
            digits.checked_mul(factor).ok_or(QuantityError::OutOfRange)?,
            -fraction_len,
        )
    } else {
        (digits, exponent - fraction_len)
    };
    // Kubernetes rounds anything finer than a nano-unit up, so a request never rounds to zero.
    if scale < -9 && mantissa != 0 {
        let divisor = pow10(-9 - scale)?;
        mantissa = (mantissa + divisor - 1) / divisor;
        scale = -9;
    }
    if negative {
        mantissa = -mantissa;
    }
    write_canonical(mantissa, scale, format)
}

/// The suffix's format, base and exponent (`Mi` is base 2, exponent 20).
fn parse_suffix(suffix: &str) -> Result<(Format, u32, i32), QuantityError> {
    let decimal = |exponent| Ok((Format::DecimalSi, 10, exponent));
    let binary = |exponent| Ok((Format::BinarySi, 2, exponent));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let exponent = suffix
                .strip_prefix(['e', 'E'])
                .ok_or(QuantityError::UnknownSuffix)?;
            let exponent: i32 = exponent.parse().map_err(|_| QuantityError::UnknownSuffix)?;
            Ok((Format::DecimalExponent, 10, exponent))
        }
    }
}

fn write_canonical(mantissa: i128, scale: i32, format: Format) -> Result<String, QuantityError> {
    if mantissa == 0 {
        return Ok("0".to_string());
    }
    let whole = whole_value(mantissa, scale);
    if let Some(value) = whole
        && i64::try_from(value).is_err()
    {
        return Err(QuantityError::OutOfRange);
    }
    // Binary quantities below 1024 in magnitude, or with a fraction, are written in decimal.
    if format == Format::BinarySi
        && let Some(value) = whole.filter(|value| value.abs() >= 1024)
    {
        let (amount, times) = remove_factors(value, 1024);
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
            .get(times as usize)
            .ok_or(QuantityError::OutOfRange)?;
        return Ok(format!("{amount}{suffix}"));
    }
    let (amount, times) = remove_factors(mantissa, 10);
    let mut exponent = scale + times;
    let mut amount = amount;
    // The exponent is lowered to a multiple of three.
    match exponent.rem_euclid(3) {
        1 => {
            amount *= 10;
            exponent -= 1;
        }
        2 => {
            amount *= 100;
            exponent -= 2;
        }
        _ => {}
    }
    let suffix = match format {
        Format::DecimalExponent if exponent == 0 => String::new(),
        Format::DecimalExponent => format!("e{exponent}"),
        _ => si_suffix(exponent).ok_or(QuantityError::OutOfRange)?.to_string(),
    };
    Ok(format!("{amount}{suffix}"))
}

/// `mantissa × 10^scale` when it is a whole number that fits.
fn whole_value(mantissa: i128, scale: i32) -> Option<i128> {
    if scale >= 0 {
        mantissa.checked_mul(pow10(scale).ok()?)
    } else {
        let divisor = pow10(-scale).ok()?;
        (mantissa % divisor == 0).then(|| mantissa / divisor)
    }
}

fn si_suffix(exponent: i32) -> Option<&'static str> {
    Some(match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => return None,
    })
}

/// Divides `value` by `base` while it divides evenly; returns the rest and the count.
fn remove_factors(value: i128, base: i128) -> (i128, i32) {
    let mut amount = value;
    let mut times = 0;
    while amount.abs() >= base && amount % base == 0 {
        amount /= base;
        times += 1;
    }
    (amount, times)
}

fn pow10(exponent: i32) -> Result<i128, QuantityError> {
    let exponent = u32::try_from(exponent).map_err(|_| QuantityError::OutOfRange)?;
    10i128.checked_pow(exponent).ok_or(QuantityError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings follow `resource.Quantity`'s canonicalisation rules: decimal values
    /// take the largest exponent that is a multiple of 3, binary whole values >= 1024 keep a
    /// binary suffix, and exponent notation stays exponent notation.
    #[test]
    fn canonical_forms() {
        let cases = [
            ("500m", "500m"),
            ("0.5", "500m"),
            ("1", "1"),
            ("1000m", "1"),
            ("1000", "1k"),
            ("1500m", "1500m"),
            ("1.5", "1500m"),
            ("2", "2"),
            ("100Mi", "100Mi"),
            ("1Gi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("2048Ki", "2Mi"),
            ("512Ki", "512Ki"),
            ("0.5Ki", "512"),
            ("1Ki", "1Ki"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("1e3", "1e3"),
            ("1E3", "1e3"),
            ("12e2", "1200"),
            ("0", "0"),
            ("0Gi", "0"),
            ("100M", "100M"),
            ("0.1", "100m"),
            ("1n", "1n"),
            ("0.1n", "1n"),
            ("10u", "10u"),
            ("-500m", "-500m"),
            ("+1", "1"),
            ("1k", "1k"),
            ("1Ei", "1Ei"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                canonical_quantity(input).as_deref(),
                Ok(expected),
                "quantity {input}"
            );
        }
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        assert_eq!(canonical_quantity(""), Err(QuantityError::Empty));
        assert_eq!(canonical_quantity("Mi"), Err(QuantityError::NoDigits));
        assert_eq!(canonical_quantity("1.2.3"), Err(QuantityError::NoDigits));
        assert_eq!(canonical_quantity("5 apples"), Err(QuantityError::UnknownSuffix));
        assert_eq!(canonical_quantity("1KB"), Err(QuantityError::UnknownSuffix));
    }
}
