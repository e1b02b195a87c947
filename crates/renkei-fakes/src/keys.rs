//! An RSA key pair for tests and demos only (LINE WORKS service accounts and LINE v2.1
//! assertions are RS256 JWTs). Never use it for anything real: it is public in this repo.

/// PKCS#8 PEM, as LINE WORKS' Developer Console downloads a service account key.
pub const TEST_PRIVATE_KEY_PEM: &str = include_str!("keys/test_rsa_private.pem");
/// The matching public key (SPKI PEM), what the fakes verify assertions with.
pub const TEST_PUBLIC_KEY_PEM: &str = include_str!("keys/test_rsa_public.pem");
