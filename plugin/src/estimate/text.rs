//! Numbers in billing details: rates and quantities with up to 10 decimals ([`Usd`]) and
//! money to the cent ([`Cents`]).
//!
//! Every answer prints a handful of numbers, so both take a fast path that gives the same text
//! as the slow, exact one (`{:.10}` trimmed, `{:.2}`) wherever the two provably agree, and fall
//! back to it elsewhere. The tests compare them over every rate of every region.

use std::fmt::{self, Write as _};

/// Below this magnitude half an ulp of an `f64` is under 1e-10 / 2 (it is at most 2^-36).
const SHORTEST_IS_EXACT_BELOW: f64 = 262_144.0; // 2^18
/// Integers below this are exact in an `f64` and print without a fraction.
const EXACT_INTEGERS_BELOW: f64 = 9_007_199_254_740_992.0; // 2^53
/// Below this many cents an ulp is under 2^-23, far inside [`TIE_MARGIN`].
const FAST_CENTS_BELOW: f64 = 1e9;
/// How far from a half cent an amount must be for `round()` to agree with `{:.2}`.
const TIE_MARGIN: f64 = 1e-6;

/// A rate or quantity for humans: rounded to 10 decimals, trailing zeros dropped
/// (`0.0104`, `8`, `0.0000166667`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usd(pub f64);

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mut int, mut short) = (itoa::Buffer::new(), ryu::Buffer::new());
        match usd_fast(self.0, &mut int, &mut short) {
            Some(text) => f.write_str(text),
            None => f.write_str(&by_rounding(self.0)),
        }
    }
}

/// Appends [`Usd`] text to `out` without the formatting machinery (hot paths).
pub(crate) fn push_usd(out: &mut String, amount: f64) {
    let (mut int, mut short) = (itoa::Buffer::new(), ryu::Buffer::new());
    match usd_fast(amount, &mut int, &mut short) {
        Some(text) => out.push_str(text),
        None => out.push_str(&by_rounding(amount)),
    }
}

/// The text of [`Usd`] where a cheap conversion gives it, else `None`.
fn usd_fast<'b>(
    amount: f64,
    int: &'b mut itoa::Buffer,
    short: &'b mut ryu::Buffer,
) -> Option<&'b str> {
    if amount.fract() == 0.0 && amount.abs() < EXACT_INTEGERS_BELOW {
        if amount == 0.0 && amount.is_sign_negative() {
            return Some("-0");
        }
        // An integer below 2^53 in magnitude converts exactly.
        return Some(int.format(amount as i64));
    }
    // The shortest text that reads back as `amount` is what rounding to 10 decimals prints
    // whenever it has at most 10 decimals and `amount` is below 2^18: it lies within half an
    // ulp of `amount`, closer than half a 1e-10 step, and has no trailing zeros.
    if amount.abs() < SHORTEST_IS_EXACT_BELOW {
        let shortest = short.format_finite(amount);
        // ryu writes small magnitudes in exponent form (`1e-7`); those take the slow path.
        if !shortest.contains('e')
            && shortest
                .split_once('.')
                .is_none_or(|(_, decimals)| decimals.len() <= 10)
        {
            return Some(shortest);
        }
    }
    None
}

/// `amount` rounded to 10 decimals with trailing zeros dropped: right for every amount, but
/// slower than the shortest text [`Usd`] prints where the two agree.
pub(crate) fn by_rounding(amount: f64) -> String {
    let text = format!("{amount:.10}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() || trimmed == "-" {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// An amount to the cent, as `{:.2}` prints it (`7.59`, `0.80`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cents(pub f64);

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut int = itoa::Buffer::new();
        match cents_fast(self.0, &mut int) {
            Some((whole, [tens, units])) => {
                f.write_str(whole)?;
                f.write_char('.')?;
                f.write_char(tens)?;
                f.write_char(units)
            }
            None => write!(f, "{:.2}", self.0),
        }
    }
}

/// Appends [`Cents`] text to `out` without the formatting machinery (hot paths).
pub(crate) fn push_cents(out: &mut String, amount: f64) {
    let mut int = itoa::Buffer::new();
    match cents_fast(amount, &mut int) {
        Some((whole, [tens, units])) => {
            out.push_str(whole);
            out.extend(['.', tens, units]);
        }
        None => out.push_str(&format!("{amount:.2}")),
    }
}

/// The whole units and the two decimal digits of [`Cents`] where `round()` gives them.
fn cents_fast(amount: f64, int: &mut itoa::Buffer) -> Option<(&str, [char; 2])> {
    let cents = amount * 100.0;
    let fraction = cents - cents.trunc();
    // `{:.2}` rounds the exact value; `round()` the product, which is off by under an ulp.
    // Away from a half cent the two agree.
    if !(cents.is_sign_positive()
        && cents < FAST_CENTS_BELOW
        && (fraction - 0.5).abs() > TIE_MARGIN)
    {
        return None;
    }
    // A non-negative integer below 1e9 converts exactly.
    let cents = cents.round() as u64;
    let digit = |d: u64| char::from(b'0' + (d % 10) as u8);
    Some((int.format(cents / 100), [digit(cents / 10), digit(cents)]))
}

/// [`Usd`] as a `String`, for details built with `format!`.
pub(crate) fn usd(amount: f64) -> String {
    Usd(amount).to_string()
}

/// A quantity for humans (`8`, `0.5`, `1000000`): the same text as [`usd`].
pub(crate) fn qty(amount: f64) -> String {
    usd(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::HOURS_PER_MONTH;
    use crate::estimate::test_support::table;
    use crate::pricing::Service;
    use crate::region::Region;

    /// Fixed edge cases, every rate of every region and the figures made from them, and
    /// pseudo-random values over many magnitudes.
    fn amounts() -> Vec<f64> {
        let mut amounts = vec![
            0.0,
            -0.0,
            1.0,
            100.0,
            0.1,
            0.125,
            0.005,
            1.005,
            2.675,
            0.30000000000000004,
            7.592000000000001,
            0.00048828125,
            0.00000000005,
            0.000000000049999,
            1e-11,
            -1e-11,
            0.0000166667,
            1000000.1,
            9_999_999.995,
            262_143.999_999_999_9,
            262_144.1,
            4_503_599_627_370_497.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for region in Region::ALL {
            let table = table(region);
            for service in Service::ALL {
                for (_, rate) in table.rows(service) {
                    amounts.extend([*rate, rate * HOURS_PER_MONTH, rate * 8.0, rate / 1024.0]);
                }
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mantissa = (seed >> 11) as f64 / (1u64 << 53) as f64;
            let exponent = (seed % 40) as i32 - 20;
            let value = mantissa * 10f64.powi(exponent);
            let decimals = (seed >> 3) % 12;
            let scale = 10f64.powi(decimals as i32);
            amounts.extend([value, -value, (value * scale).round() / scale]);
        }
        amounts
    }

    #[test]
    fn fast_paths_print_what_the_exact_formats_print() {
        for amount in amounts() {
            assert_eq!(Usd(amount).to_string(), by_rounding(amount), "{amount:e}");
            assert_eq!(
                Cents(amount).to_string(),
                format!("{amount:.2}"),
                "{amount:e}"
            );
            let mut pushed = String::from(">");
            push_usd(&mut pushed, amount);
            push_cents(&mut pushed, amount);
            assert_eq!(
                pushed,
                format!(">{}{amount:.2}", by_rounding(amount)),
                "{amount:e}"
            );
        }
    }

    #[test]
    fn examples() {
        assert_eq!(usd(0.0104), "0.0104");
        assert_eq!(usd(7.592000000000001), "7.592");
        assert_eq!(usd(0.0), "0");
        assert_eq!(usd(8.0), "8");
        assert_eq!(usd(0.0000166667), "0.0000166667");
        assert_eq!(Cents(7.592).to_string(), "7.59");
        assert_eq!(Cents(0.8).to_string(), "0.80");
        assert_eq!(Cents(8.392).to_string(), "8.39");
    }
}
