// A throwaway self-signed certificate (CN=netmedic-test, EC P-256, 100 years) for loopback and lab
// TLS servers that stand in for apiservers. It secures nothing: the version probe does not verify
// certificates by design (it only classifies the reply).

/** PEM private key of the test certificate. */
export const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZroXkR5SC5Ew2s0F
luLZ6KtywGk4v+jU3SZEMJ9jh36hRANCAAT+XzfDh/HlTKQa9WoyqxvgNeUX5HR5
XVWFrVU3jpiYRaqQfOiwp2Vm1hzgESYqqFgYpIuRvFEJsJMat9NXd9oZ
-----END PRIVATE KEY-----
`;

/** PEM certificate. */
export const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBhjCCAS2gAwIBAgIUNeiEvm0jT62gx7eRj/SXYIIT/hUwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNbmV0bWVkaWMtdGVzdDAgFw0yNjExMjMwOTA3MzdaGA8yMTI2
MTAzMDA5MDczN1owGDEWMBQGA1UEAwwNbmV0bWVkaWMtdGVzdDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABP5fN8OH8eVMpBr1ajKrG+A15RfkdHldVYWtVTeOmJhF
qpB86LCnZWbWHOARJiqoWBiki5G8UQmwkxq301d32hmjUzBRMB0GA1UdDgQWBBSH
EcDQDig0VONcVa7deGAvNyYi9DAfBgNVHSMEGDAWgBSHEcDQDig0VONcVa7deGAv
NyYi9DAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIFn9EcdH0axO
F6C7iHF8+Wu/b0LcHu/NC4INN9LaURvUAiBSLZJb/az+vu89cxju4GsxvjLkykfO
FqqBuxAXc7r3Vw==
-----END CERTIFICATE-----
`;
