//! The compact JWS form both sides of a sign-in exchange: three base64url parts, header and claims as JSON.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// A parsed (not yet verified) JWT.
pub struct Jwt {
    pub header: Value,
    pub claims: Value,
    /// `header.claims` as sent: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jwt {
    /// `None` unless `token` is three base64url parts whose first two are JSON objects.
    pub fn parse(token: &str) -> Option<Jwt> {
        let mut parts = token.trim().split('.');
        let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let json = |part: &str| -> Option<Value> {
            let value: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()?;
            value.is_object().then_some(value)
        };
        Some(Jwt {
            header: json(header)?,
            claims: json(claims)?,
            signing_input: format!("{header}.{claims}"),
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        })
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        let value = self.claims.get(name)?;
        value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
    }

    /// `aud` as a list: the claim may be one string or an array of them.
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// Joins `header` and `claims` and appends the signature `sign` makes over them.
pub fn encode(header: &Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The time checks Entra makes on an assertion: `exp` in the future and `nbf` (when present) not, within Entra's
/// five minutes of allowed clock skew. `Err` carries the message of AADSTS700024.
pub fn check_time_window(jwt: &Jwt, now_unix: i64) -> Result<i64, String> {
    const SKEW: i64 = 300;
    let exp = jwt
        .claim_i64("exp")
        .ok_or_else(|| "Client assertion is missing the exp claim.".to_string())?;
    let nbf = jwt.claim_i64("nbf");
    let current = now_unix;
    let early = nbf.is_some_and(|nbf| nbf > current + SKEW);
    if exp + SKEW <= current || early {
        return Err(format!(
            "Client assertion is not within its valid time range. Current time: {current}, assertion valid from \
             {}, expiry time of assertion {exp}.",
            nbf.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
        ));
    }
    Ok(exp)
}
