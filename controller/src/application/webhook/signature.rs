//! The webhook's shared secret: GitHub signs the body (`X-Hub-Signature-256: sha256=<hex HMAC>`),
//! GitLab sends the secret itself (`X-Gitlab-Token`). Both are compared in constant time.

use hyper::HeaderMap;
use ring::hmac;

use super::WebhookError;

/// Checks the delivery against `secret`; the error says what was missing or wrong, never the secret.
pub fn verify(headers: &HeaderMap, body: &[u8], secret: &str) -> Result<(), WebhookError> {
    let header = |name: &str| headers.get(name).map(|v| v.as_bytes());
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    if let Some(signature) = header("x-hub-signature-256") {
        let hex = signature.strip_prefix(b"sha256=").ok_or_else(|| {
            WebhookError::Unauthorized("X-Hub-Signature-256 does not start with sha256=".to_string())
        })?;
        let tag = decode_hex(hex).ok_or_else(|| {
            WebhookError::Unauthorized("X-Hub-Signature-256 is not hexadecimal".to_string())
        })?;
        return hmac::verify(&key, body, &tag).map_err(|_| {
            WebhookError::Unauthorized("X-Hub-Signature-256 does not match the body".to_string())
        });
    }
    if let Some(token) = header("x-gitlab-token") {
        // Compare MACs of both tokens: equal length, constant time.
        let expected = hmac::sign(&key, secret.as_bytes());
        return hmac::verify(&key, token, expected.as_ref())
            .map_err(|_| WebhookError::Unauthorized("X-Gitlab-Token is wrong".to_string()));
    }
    if header("x-hub-signature").is_some() {
        return Err(WebhookError::Unauthorized(
            "only X-Hub-Signature-256 is accepted (SHA-1 signatures are not)".to_string(),
        ));
    }
    Err(WebhookError::Unauthorized(
        "a secret is configured but the delivery has no X-Hub-Signature-256 or X-Gitlab-Token".to_string(),
    ))
}

fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16);
    hex.chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

/// `sha256=<hex>` for a body, as GitHub computes it (for tests and for clients of the endpoint).
pub fn github_signature(body: &[u8], secret: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).expect("header value"));
        headers
    }

    #[test]
    fn github_signatures() {
        let body = br#"{"ref":"refs/heads/main"}"#;
        let good = github_signature(body, "s3cret");
        assert_eq!(
            verify(&with("x-hub-signature-256", &good), body, "s3cret"),
            Ok(())
        );
        let cases = [
            (good.clone(), &b"{}"[..], "s3cret", "does not match"),
            (good.clone(), &body[..], "other", "does not match"),
            (good.replace("sha256=", "sha1="), &body[..], "s3cret", "sha256="),
            ("sha256=zz".to_string(), &body[..], "s3cret", "hexadecimal"),
            ("sha256=abc".to_string(), &body[..], "s3cret", "hexadecimal"),
        ];
        for (header, body, secret, want) in cases {
            let error = verify(&with("x-hub-signature-256", &header), body, secret).expect_err(&header);
            assert!(error.to_string().contains(want), "{header}: {error}");
            assert!(!error.to_string().contains(secret), "the secret leaked: {error}");
        }
    }

    #[test]
    fn gitlab_tokens_and_missing_headers() {
        assert_eq!(verify(&with("x-gitlab-token", "s3cret"), b"{}", "s3cret"), Ok(()));
        let wrong = verify(&with("x-gitlab-token", "s3cre"), b"{}", "s3cret").expect_err("wrong token");
        assert!(wrong.to_string().contains("X-Gitlab-Token is wrong"), "{wrong}");
        let none = verify(&HeaderMap::new(), b"{}", "s3cret").expect_err("no header");
        assert!(none.to_string().contains("no X-Hub-Signature-256"), "{none}");
        let sha1 = verify(&with("x-hub-signature", "sha1=00"), b"{}", "s3cret").expect_err("sha1");
        assert!(sha1.to_string().contains("SHA-1"), "{sha1}");
    }
}
