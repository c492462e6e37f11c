//! Keys for token endpoints of contract servers: a service-account key the
//! connector signs with, and its public half the server verifies against.

/// A new RSA key pair: the private key as a service-account key file holds it
/// (PKCS #8 PEM), the public key for a token endpoint to verify with (SPKI PEM).
pub fn rsa_key_pair() -> (String, String) {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
    use aws_lc_rs::signature::KeyPair as _;
    use base64::Engine as _;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
    let pem = |label: &str, der: &[u8]| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    };
    let private: Pkcs8V1Der = pair.as_der().expect("pkcs8");
    let public: PublicKeyX509Der = pair.public_key().as_der().expect("spki");
    (
        pem("PRIVATE KEY", private.as_ref()),
        pem("PUBLIC KEY", public.as_ref()),
    )
}
