//! Exact cty numbers. Terraform sends a number as int64 when it is an exact integer, else as float64 when exact,
//! else as a decimal string; keeping that exactness here means a configured number always round-trips unchanged
//! (a float64 approximation would make Terraform report that the plan does not match the configuration).

use std::cmp::Ordering;
use std::fmt;

/// An exact number in its cheapest exact representation.
///
/// Normalised (every constructor in this crate produces this form): every integral value that fits `i64` is `Int`;
/// a value an `f64` holds exactly is `Float`; `Decimal` (a canonical decimal string) only for what neither holds
/// exactly: big integers and fractions such as `0.1` that have no exact binary form. This is also the form
/// Terraform chooses on the wire (int64, else exact float64, else string). Equality is numeric and exact:
/// `Int(5) == Float(5.0)`, but `Float(0.1) != Decimal("0.1")`.
#[derive(Clone, Debug)]
pub enum Number {
    Int(i64),
    Float(f64),
    Decimal(String),
}

impl Number {
    /// The value as an `i64` when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) => float_to_i64(*f),
            Number::Decimal(s) => Decimal::parse(s)?.to_i64(),
        }
    }

    /// The nearest `f64` (a `Decimal` rounds; an unparsable one is NaN).
    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::Float(f) => *f,
            Number::Decimal(s) => Decimal::parse(s).map_or(f64::NAN, |d| d.to_f64()),
        }
    }

    /// Normalises an `f64`. NaN is kept as `Float(NaN)` (it is not a cty number, so the encoders refuse it).
    pub fn from_f64(f: f64) -> Number {
        match float_to_i64(f) {
            Some(i) => Number::Int(i),
            None => Number::Float(f),
        }
    }

    /// Parses decimal text (`-12`, `1.5`, `1e-3`, `+0.25E2`) into the normalised form; `None` if it is not a
    /// finite decimal number.
    pub fn parse(text: &str) -> Option<Number> {
        Decimal::parse(text).map(Decimal::into_number)
    }

    /// The same number in normalised form (useful for values built by hand, such as `Float(5.0)`).
    pub fn normalized(&self) -> Number {
        match self {
            Number::Int(i) => Number::Int(*i),
            Number::Float(f) => Number::from_f64(*f),
            Number::Decimal(s) => Number::parse(s).unwrap_or_else(|| Number::Decimal(s.clone())),
        }
    }

    /// The exact decimal, or `None` for NaN, infinities and unparsable decimal strings.
    fn exact(&self) -> Option<Decimal> {
        match self {
            Number::Int(i) => Some(Decimal::from_i64(*i)),
            Number::Float(f) => Decimal::from_f64(*f),
            Number::Decimal(s) => Decimal::parse(s),
        }
    }
}

fn float_to_i64(f: f64) -> Option<i64> {
    // Both bounds are exact powers of two, so the comparison itself is exact.
    if f.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
    {
        Some(f as i64)
    } else {
        None
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::Int(i)
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => a == b,
            (Number::Int(i), Number::Float(f)) | (Number::Float(f), Number::Int(i)) => {
                float_to_i64(*f) == Some(*i)
            }
            _ => match (self.exact(), other.exact()) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }
}

/// Exact decimal text: plain notation when short, `1.5e400` style otherwise. Valid as a JSON number and as cty's
/// number syntax; `Number::parse` reads it back to the same number. Non-finite floats print as `inf`, `-inf`, `NaN`.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => match Decimal::from_f64(*x) {
                Some(d) => f.write_str(&d.render()),
                None => write!(f, "{x}"),
            },
            Number::Decimal(s) => match Decimal::parse(s) {
                Some(d) => f.write_str(&d.render()),
                None => f.write_str(s),
            },
        }
    }
}

/// Numbers order by exact value; used by tests and by callers that sort (NaN and bad decimals are unordered).
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        if let (Number::Int(a), Number::Int(b)) = (self, other) {
            return Some(a.cmp(b));
        }
        let (a, b) = (
            self.exact().or_else(|| infinite(self))?,
            other.exact().or_else(|| infinite(other))?,
        );
        Some(a.cmp_exact(&b))
    }
}

/// Infinities as decimals with an out-of-range exponent, so ordering works without a special case.
fn infinite(n: &Number) -> Option<Decimal> {
    match n {
        Number::Float(f) if f.is_infinite() => Some(Decimal {
            negative: *f < 0.0,
            digits: vec![1],
            exp: i64::MAX,
        }),
        _ => None,
    }
}

impl Decimal {
    fn cmp_exact(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| {
            if d.digits.is_empty() {
                0
            } else if d.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        let magnitude = self
            .exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits));
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// An exact finite decimal: `±0.d1d2…dn × 10^exp`, with `digits` free of leading and trailing zeros (empty for
/// zero, which is never negative). Two equal numbers have identical fields, so equality is field equality.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exp: i64,
}

/// Decimal exponents beyond this, as written or as displayed (`d.ddd…e±x`), are refused when parsing: no real value
/// needs them, and rendering must stay small.
const MAX_DECIMAL_EXPONENT: i64 = 1_000_000_000;

impl Decimal {
    fn new(negative: bool, mut digits: Vec<u8>, mut exp: i64) -> Decimal {
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        exp -= leading as i64;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Decimal {
                negative: false,
                digits,
                exp: 0,
            };
        }
        Decimal {
            negative,
            digits,
            exp,
        }
    }

    fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                pos += 1;
                true
            }
            Some(b'+') => {
                pos += 1;
                false
            }
            _ => false,
        };
        let mut digits = Vec::new();
        let mut integer_digits: i64 = 0;
        while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
            digits.push(d - b'0');
            integer_digits += 1;
            pos += 1;
        }
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
                digits.push(d - b'0');
                pos += 1;
            }
        }
        if digits.is_empty() {
            return None;
        }
        let mut exponent: i64 = 0;
        if matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            let exp_negative = match bytes.get(pos) {
                Some(b'-') => {
                    pos += 1;
                    true
                }
                Some(b'+') => {
                    pos += 1;
                    false
                }
                _ => false,
            };
            let start = pos;
            while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
                exponent = exponent
                    .saturating_mul(10)
                    .saturating_add(i64::from(d - b'0'));
                pos += 1;
            }
            if pos == start || exponent > MAX_DECIMAL_EXPONENT {
                return None;
            }
            if exp_negative {
                exponent = -exponent;
            }
        }
        if pos != bytes.len() {
            return None;
        }
        let decimal = Decimal::new(negative, digits, integer_digits + exponent);
        // The bound applies to the exponent the number is displayed with, not only to the one written: `10e1000000000`
        // displays as `1e1000000001`, which used to parse here but not back, so the encoders refused to echo it.
        if (decimal.exp - 1).abs() > MAX_DECIMAL_EXPONENT {
            return None;
        }
        Some(decimal)
    }

    fn from_i64(i: i64) -> Decimal {
        let digits: Vec<u8> = i
            .unsigned_abs()
            .to_string()
            .bytes()
            .map(|b| b - b'0')
            .collect();
        let exp = digits.len() as i64;
        Decimal::new(i < 0, digits, exp)
    }

    /// The exact value of a finite float: `m × 2^e` has a finite decimal expansion (`m × 5^-e / 10^-e` when `e < 0`).
    fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        let bits = f.to_bits();
        let negative = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1 << 52) - 1);
        let (mantissa, exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1 << 52), biased - 1075)
        };
        let mut big = BigUint::from_u64(mantissa);
        let shift = if exp2 >= 0 {
            big.multiply_repeatedly(2, exp2 as usize);
            0
        } else {
            big.multiply_repeatedly(5, (-exp2) as usize);
            -exp2
        };
        let digits = big.decimal_digits();
        let exp = digits.len() as i64 - shift;
        Some(Decimal::new(negative, digits, exp))
    }

    fn is_integer(&self) -> bool {
        self.exp >= self.digits.len() as i64
    }

    fn to_i64(&self) -> Option<i64> {
        if !self.is_integer() || self.exp > 19 {
            return None;
        }
        let mut magnitude: i128 = 0;
        for i in 0..self.exp as usize {
            magnitude = magnitude * 10 + i128::from(*self.digits.get(i).unwrap_or(&0));
        }
        i64::try_from(if self.negative { -magnitude } else { magnitude }).ok()
    }

    fn to_f64(&self) -> f64 {
        // Rust's float parsing is correctly rounded, so going through text gives the nearest f64.
        self.scientific().parse().unwrap_or(f64::NAN)
    }

    /// Int if it fits, else Float if an f64 holds it exactly, else a canonical decimal string.
    fn into_number(self) -> Number {
        if let Some(i) = self.to_i64() {
            return Number::Int(i);
        }
        let nearest = self.to_f64();
        if Decimal::from_f64(nearest).as_ref() == Some(&self) {
            return Number::Float(nearest);
        }
        Number::Decimal(self.render())
    }

    fn scientific(&self) -> String {
        if self.digits.is_empty() {
            return "0".into();
        }
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        out.push(char::from(b'0' + self.digits[0]));
        if self.digits.len() > 1 {
            out.push('.');
            out.extend(self.digits[1..].iter().map(|d| char::from(b'0' + d)));
        }
        out.push_str(&format!("e{}", self.exp - 1));
        out
    }

    /// Plain notation unless that would need more than 20 padding zeros.
    fn render(&self) -> String {
        const MAX_PADDING: i64 = 20;
        let n = self.digits.len() as i64;
        if self.digits.is_empty() {
            return "0".into();
        }
        if self.exp - n > MAX_PADDING || -self.exp > MAX_PADDING {
            return self.scientific();
        }
        let digit = |d: &u8| char::from(b'0' + d);
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        if self.exp <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-self.exp) as usize));
            out.extend(self.digits.iter().map(digit));
        } else if self.exp >= n {
            out.extend(self.digits.iter().map(digit));
            out.extend(std::iter::repeat_n('0', (self.exp - n) as usize));
        } else {
            let (int_part, frac_part) = self.digits.split_at(self.exp as usize);
            out.extend(int_part.iter().map(digit));
            out.push('.');
            out.extend(frac_part.iter().map(digit));
        }
        out
    }
}

/// Just enough of an unsigned big integer to expand a float exactly: base-10^9 limbs, least significant first.
struct BigUint {
    limbs: Vec<u64>,
}

impl BigUint {
    const BASE: u64 = 1_000_000_000;

    fn from_u64(mut v: u64) -> BigUint {
        let mut limbs = Vec::new();
        while v > 0 {
            limbs.push(v % Self::BASE);
            v /= Self::BASE;
        }
        BigUint { limbs }
    }

    /// Multiplies by `factor^times`, batching factors so each step stays within u64 arithmetic.
    fn multiply_repeatedly(&mut self, factor: u64, times: usize) {
        let mut remaining = times;
        while remaining > 0 {
            let mut batch = 1u64;
            while remaining > 0 && batch * factor < Self::BASE {
                batch *= factor;
                remaining -= 1;
            }
            let mut carry = 0u64;
            for limb in &mut self.limbs {
                let product = *limb * batch + carry;
                *limb = product % Self::BASE;
                carry = product / Self::BASE;
            }
            while carry > 0 {
                self.limbs.push(carry % Self::BASE);
                carry /= Self::BASE;
            }
        }
    }

    fn decimal_digits(&self) -> Vec<u8> {
        let Some((top, rest)) = self.limbs.split_last() else {
            return Vec::new();
        };
        let mut text = top.to_string();
        for limb in rest.iter().rev() {
            text.push_str(&format!("{limb:09}"));
        }
        text.bytes().map(|b| b - b'0').collect()
    }
}
