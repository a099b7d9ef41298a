//! IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registries used
//! on the wire (RFC 7296 §3 and the RFCs that extend it).

use super::registry::wire_enum;

wire_enum! {
    /// Exchange types (RFC 7296 §3.1).
    pub enum ExchangeType: u8 {
        /// RFC 7296 §1.2.
        IkeSaInit = 34 => "IKE_SA_INIT",
        /// RFC 7296 §1.2.
        IkeAuth = 35 => "IKE_AUTH",
        /// RFC 7296 §1.3.
        CreateChildSa = 36 => "CREATE_CHILD_SA",
        /// RFC 7296 §1.4.
        Informational = 37 => "INFORMATIONAL",
        /// RFC 5723.
        IkeSessionResume = 38 => "IKE_SESSION_RESUME",
        /// RFC 9242.
        IkeIntermediate = 43 => "IKE_INTERMEDIATE",
        /// RFC 9370.
        IkeFollowupKe = 44 => "IKE_FOLLOWUP_KE",
    }
}

wire_enum! {
    /// Payload types (RFC 7296 §3.2, RFC 7383 §2.5).
    pub enum PayloadType: u8 {
        /// End of the payload chain.
        NoNextPayload = 0 => "none",
        /// Security Association, RFC 7296 §3.3.
        SecurityAssociation = 33 => "SA",
        /// Key Exchange, RFC 7296 §3.4.
        KeyExchange = 34 => "KE",
        /// Identification - Initiator, RFC 7296 §3.5.
        IdInitiator = 35 => "IDi",
        /// Identification - Responder, RFC 7296 §3.5.
        IdResponder = 36 => "IDr",
        /// Certificate, RFC 7296 §3.6.
        Certificate = 37 => "CERT",
        /// Certificate Request, RFC 7296 §3.7.
        CertificateRequest = 38 => "CERTREQ",
        /// Authentication, RFC 7296 §3.8.
        Authentication = 39 => "AUTH",
        /// Nonce, RFC 7296 §3.9.
        Nonce = 40 => "Ni/Nr",
        /// Notify, RFC 7296 §3.10.
        Notify = 41 => "N",
        /// Delete, RFC 7296 §3.11.
        Delete = 42 => "D",
        /// Vendor ID, RFC 7296 §3.12.
        VendorId = 43 => "V",
        /// Traffic Selector - Initiator, RFC 7296 §3.13.
        TsInitiator = 44 => "TSi",
        /// Traffic Selector - Responder, RFC 7296 §3.13.
        TsResponder = 45 => "TSr",
        /// Encrypted and Authenticated, RFC 7296 §3.14.
        Encrypted = 46 => "SK",
        /// Configuration, RFC 7296 §3.15.
        Configuration = 47 => "CP",
        /// Extensible Authentication, RFC 7296 §3.16.
        Eap = 48 => "EAP",
        /// Encrypted and Authenticated Fragment, RFC 7383 §2.5.
        EncryptedFragment = 53 => "SKF",
    }
}

wire_enum! {
    /// Security protocol identifiers (RFC 7296 §3.3.1).
    pub enum ProtocolId: u8 {
        /// Used in notifications that carry no SA.
        None = 0 => "none",
        /// The IKE SA.
        Ike = 1 => "IKE",
        /// Authentication Header.
        Ah = 2 => "AH",
        /// Encapsulating Security Payload.
        Esp = 3 => "ESP",
    }
}

wire_enum! {
    /// Transform types (RFC 7296 §3.3.2, RFC 9370).
    pub enum TransformType: u8 {
        /// Encryption algorithm (ENCR).
        Encryption = 1 => "ENCR",
        /// Pseudorandom function (PRF).
        Prf = 2 => "PRF",
        /// Integrity algorithm (INTEG).
        Integrity = 3 => "INTEG",
        /// Key exchange method (D-H group).
        KeyExchange = 4 => "KE",
        /// Extended sequence numbers (ESN).
        ExtendedSequenceNumbers = 5 => "ESN",
    }
}

wire_enum! {
    /// Transform type 1 IDs: encryption algorithms.
    pub enum EncryptionId: u16 {
        /// RFC 2451 (not to be used, RFC 8247).
        TripleDes = 3 => "ENCR_3DES",
        /// RFC 2410 (ESP only).
        Null = 11 => "ENCR_NULL",
        /// RFC 3602.
        AesCbc = 12 => "ENCR_AES_CBC",
        /// RFC 5930.
        AesCtr = 13 => "ENCR_AES_CTR",
        /// RFC 4309 / RFC 5282.
        AesCcm8 = 14 => "ENCR_AES_CCM_8",
        /// RFC 4309 / RFC 5282.
        AesCcm16 = 16 => "ENCR_AES_CCM_16",
        /// RFC 4106 / RFC 5282.
        AesGcm8 = 18 => "ENCR_AES_GCM_8",
        /// RFC 4106 / RFC 5282.
        AesGcm12 = 19 => "ENCR_AES_GCM_12",
        /// RFC 4106 / RFC 5282.
        AesGcm16 = 20 => "ENCR_AES_GCM_16",
        /// RFC 4543 (ESP only).
        NullAuthAesGmac = 21 => "ENCR_NULL_AUTH_AES_GMAC",
        /// RFC 7634.
        ChaCha20Poly1305 = 28 => "ENCR_CHACHA20_POLY1305",
    }
}

wire_enum! {
    /// Transform type 2 IDs: pseudorandom functions.
    pub enum PrfId: u16 {
        /// RFC 2104 (MD5, not to be used).
        HmacMd5 = 1 => "PRF_HMAC_MD5",
        /// RFC 2104.
        HmacSha1 = 2 => "PRF_HMAC_SHA1",
        /// RFC 4434.
        Aes128Xcbc = 4 => "PRF_AES128_XCBC",
        /// RFC 4868.
        HmacSha2_256 = 5 => "PRF_HMAC_SHA2_256",
        /// RFC 4868.
        HmacSha2_384 = 6 => "PRF_HMAC_SHA2_384",
        /// RFC 4868.
        HmacSha2_512 = 7 => "PRF_HMAC_SHA2_512",
        /// RFC 4615.
        Aes128Cmac = 8 => "PRF_AES128_CMAC",
    }
}

wire_enum! {
    /// Transform type 3 IDs: integrity algorithms.
    pub enum IntegrityId: u16 {
        /// No integrity (with AEAD ciphers).
        None = 0 => "NONE",
        /// RFC 2403.
        HmacMd5_96 = 1 => "AUTH_HMAC_MD5_96",
        /// RFC 2404.
        HmacSha1_96 = 2 => "AUTH_HMAC_SHA1_96",
        /// RFC 3566.
        AesXcbc96 = 5 => "AUTH_AES_XCBC_96",
        /// RFC 4494.
        AesCmac96 = 8 => "AUTH_AES_CMAC_96",
        /// RFC 4868.
        HmacSha2_256_128 = 12 => "AUTH_HMAC_SHA2_256_128",
        /// RFC 4868.
        HmacSha2_384_192 = 13 => "AUTH_HMAC_SHA2_384_192",
        /// RFC 4868.
        HmacSha2_512_256 = 14 => "AUTH_HMAC_SHA2_512_256",
    }
}

wire_enum! {
    /// Transform type 4 IDs: key exchange methods (Diffie-Hellman groups).
    pub enum KeyExchangeId: u16 {
        /// No key exchange (CREATE_CHILD_SA without PFS).
        None = 0 => "NONE",
        /// RFC 3526 §2.
        Modp1536 = 5 => "MODP_1536",
        /// RFC 3526 §3.
        Modp2048 = 14 => "MODP_2048",
        /// RFC 3526 §4.
        Modp3072 = 15 => "MODP_3072",
        /// RFC 3526 §5.
        Modp4096 = 16 => "MODP_4096",
        /// RFC 5903.
        Ecp256 = 19 => "ECP_256",
        /// RFC 5903.
        Ecp384 = 20 => "ECP_384",
        /// RFC 5903.
        Ecp521 = 21 => "ECP_521",
        /// RFC 8031.
        Curve25519 = 31 => "CURVE25519",
        /// RFC 8031.
        Curve448 = 32 => "CURVE448",
        /// draft-ietf-ipsecme-ikev2-mlkem.
        MlKem768 = 36 => "ML_KEM_768",
    }
}

wire_enum! {
    /// Transform type 5 IDs: extended sequence numbers.
    pub enum EsnId: u16 {
        /// 32-bit sequence numbers.
        NoEsn = 0 => "NO_ESN",
        /// 64-bit extended sequence numbers.
        Esn = 1 => "ESN",
    }
}

wire_enum! {
    /// Transform attribute types (RFC 7296 §3.3.5).
    pub enum AttributeType: u16 {
        /// Key length in bits (TV format).
        KeyLength = 14 => "KEY_LENGTH",
    }
}

wire_enum! {
    /// Identification types (RFC 7296 §3.5).
    pub enum IdType: u8 {
        /// A single four-octet IPv4 address.
        Ipv4Addr = 1 => "ID_IPV4_ADDR",
        /// A fully qualified domain name.
        Fqdn = 2 => "ID_FQDN",
        /// An RFC 822 email address.
        Rfc822Addr = 3 => "ID_RFC822_ADDR",
        /// A single sixteen-octet IPv6 address.
        Ipv6Addr = 5 => "ID_IPV6_ADDR",
        /// A DER-encoded X.500 distinguished name.
        DerAsn1Dn = 9 => "ID_DER_ASN1_DN",
        /// A DER-encoded X.509 GeneralName.
        DerAsn1Gn = 10 => "ID_DER_ASN1_GN",
        /// An opaque octet stream.
        KeyId = 11 => "ID_KEY_ID",
        /// RFC 4595.
        FcName = 12 => "ID_FC_NAME",
        /// RFC 7619.
        Null = 13 => "ID_NULL",
    }
}

wire_enum! {
    /// Certificate encodings (RFC 7296 §3.6).
    pub enum CertEncoding: u8 {
        /// PKCS #7 wrapped X.509 certificate.
        Pkcs7 = 1 => "PKCS7",
        /// X.509 certificate - signature.
        X509Signature = 4 => "X509_SIGNATURE",
        /// Certificate revocation list.
        Crl = 7 => "CRL",
        /// Raw RSA key (deprecated).
        RawRsaKey = 11 => "RAW_RSA_KEY",
        /// Hash and URL of X.509 certificate.
        HashUrlX509 = 12 => "HASH_URL_X509_CERT",
        /// Hash and URL of X.509 bundle.
        HashUrlBundle = 13 => "HASH_URL_X509_BUNDLE",
        /// RFC 4806.
        OcspContent = 14 => "OCSP_CONTENT",
        /// RFC 7670.
        RawPublicKey = 15 => "RAW_PUBLIC_KEY",
    }
}

wire_enum! {
    /// Authentication methods (RFC 7296 §3.8, RFC 4754, RFC 7427).
    pub enum AuthMethod: u8 {
        /// RSA digital signature (PKCS #1 v1.5 with SHA-1).
        RsaSignature = 1 => "RSA_SIG",
        /// Shared key message integrity code.
        SharedKeyMic = 2 => "PSK",
        /// DSS digital signature.
        DssSignature = 3 => "DSS_SIG",
        /// RFC 4754.
        EcdsaSha256P256 = 9 => "ECDSA_SHA256_P256",
        /// RFC 4754.
        EcdsaSha384P384 = 10 => "ECDSA_SHA384_P384",
        /// RFC 4754.
        EcdsaSha512P521 = 11 => "ECDSA_SHA512_P521",
        /// RFC 6467.
        GenericSecurePassword = 12 => "GSPAM",
        /// RFC 7619.
        Null = 13 => "NULL",
        /// RFC 7427.
        DigitalSignature = 14 => "DIGITAL_SIGNATURE",
    }
}

wire_enum! {
    /// Notify message types (RFC 7296 §3.10.1 and later RFCs). Values below
    /// 16384 are errors, the rest status.
    pub enum NotifyType: u16 {
        /// RFC 7296.
        UnsupportedCriticalPayload = 1 => "UNSUPPORTED_CRITICAL_PAYLOAD",
        /// RFC 7296.
        InvalidIkeSpi = 4 => "INVALID_IKE_SPI",
        /// RFC 7296.
        InvalidMajorVersion = 5 => "INVALID_MAJOR_VERSION",
        /// RFC 7296.
        InvalidSyntax = 7 => "INVALID_SYNTAX",
        /// RFC 7296.
        InvalidMessageId = 9 => "INVALID_MESSAGE_ID",
        /// RFC 7296.
        InvalidSpi = 11 => "INVALID_SPI",
        /// RFC 7296.
        NoProposalChosen = 14 => "NO_PROPOSAL_CHOSEN",
        /// RFC 7296.
        InvalidKePayload = 17 => "INVALID_KE_PAYLOAD",
        /// RFC 7296.
        AuthenticationFailed = 24 => "AUTHENTICATION_FAILED",
        /// RFC 7296.
        SinglePairRequired = 34 => "SINGLE_PAIR_REQUIRED",
        /// RFC 7296.
        NoAdditionalSas = 35 => "NO_ADDITIONAL_SAS",
        /// RFC 7296.
        InternalAddressFailure = 36 => "INTERNAL_ADDRESS_FAILURE",
        /// RFC 7296.
        FailedCpRequired = 37 => "FAILED_CP_REQUIRED",
        /// RFC 7296.
        TsUnacceptable = 38 => "TS_UNACCEPTABLE",
        /// RFC 7296.
        InvalidSelectors = 39 => "INVALID_SELECTORS",
        /// RFC 4555.
        UnacceptableAddresses = 40 => "UNACCEPTABLE_ADDRESSES",
        /// RFC 4555.
        UnexpectedNatDetected = 41 => "UNEXPECTED_NAT_DETECTED",
        /// RFC 7296.
        TemporaryFailure = 43 => "TEMPORARY_FAILURE",
        /// RFC 7296.
        ChildSaNotFound = 44 => "CHILD_SA_NOT_FOUND",
        /// RFC 7296.
        InitialContact = 16384 => "INITIAL_CONTACT",
        /// RFC 7296.
        SetWindowSize = 16385 => "SET_WINDOW_SIZE",
        /// RFC 7296.
        AdditionalTsPossible = 16386 => "ADDITIONAL_TS_POSSIBLE",
        /// RFC 7296.
        IpcompSupported = 16387 => "IPCOMP_SUPPORTED",
        /// RFC 7296 §2.23.
        NatDetectionSourceIp = 16388 => "NAT_DETECTION_SOURCE_IP",
        /// RFC 7296 §2.23.
        NatDetectionDestinationIp = 16389 => "NAT_DETECTION_DESTINATION_IP",
        /// RFC 7296 §2.6.
        Cookie = 16390 => "COOKIE",
        /// RFC 7296.
        UseTransportMode = 16391 => "USE_TRANSPORT_MODE",
        /// RFC 7296.
        HttpCertLookupSupported = 16392 => "HTTP_CERT_LOOKUP_SUPPORTED",
        /// RFC 7296.
        RekeySa = 16393 => "REKEY_SA",
        /// RFC 7296.
        EspTfcPaddingNotSupported = 16394 => "ESP_TFC_PADDING_NOT_SUPPORTED",
        /// RFC 7296.
        NonFirstFragmentsAlso = 16395 => "NON_FIRST_FRAGMENTS_ALSO",
        /// RFC 4555.
        MobikeSupported = 16396 => "MOBIKE_SUPPORTED",
        /// RFC 4555.
        AdditionalIp4Address = 16397 => "ADDITIONAL_IP4_ADDRESS",
        /// RFC 4555.
        AdditionalIp6Address = 16398 => "ADDITIONAL_IP6_ADDRESS",
        /// RFC 4555.
        NoAdditionalAddresses = 16399 => "NO_ADDITIONAL_ADDRESSES",
        /// RFC 4555.
        UpdateSaAddresses = 16400 => "UPDATE_SA_ADDRESSES",
        /// RFC 4555.
        Cookie2 = 16401 => "COOKIE2",
        /// RFC 4555.
        NoNatsAllowed = 16402 => "NO_NATS_ALLOWED",
        /// RFC 4478.
        AuthLifetime = 16403 => "AUTH_LIFETIME",
        /// RFC 4739.
        MultipleAuthSupported = 16404 => "MULTIPLE_AUTH_SUPPORTED",
        /// RFC 4739.
        AnotherAuthFollows = 16405 => "ANOTHER_AUTH_FOLLOWS",
        /// RFC 5685.
        RedirectSupported = 16406 => "REDIRECT_SUPPORTED",
        /// RFC 5685.
        Redirect = 16407 => "REDIRECT",
        /// RFC 5685.
        RedirectedFrom = 16408 => "REDIRECTED_FROM",
        /// RFC 5998.
        EapOnlyAuthentication = 16417 => "EAP_ONLY_AUTHENTICATION",
        /// RFC 6023.
        ChildlessIkev2Supported = 16418 => "CHILDLESS_IKEV2_SUPPORTED",
        /// RFC 6290.
        QuickCrashDetection = 16419 => "QUICK_CRASH_DETECTION",
        /// RFC 6311.
        Ikev2MessageIdSyncSupported = 16420 => "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
        /// RFC 7383 §2.3.
        Ikev2FragmentationSupported = 16430 => "IKEV2_FRAGMENTATION_SUPPORTED",
        /// RFC 7427 §4.
        SignatureHashAlgorithms = 16431 => "SIGNATURE_HASH_ALGORITHMS",
        /// RFC 8784.
        UsePpk = 16435 => "USE_PPK",
        /// RFC 9242.
        IntermediateExchangeSupported = 16438 => "INTERMEDIATE_EXCHANGE_SUPPORTED",
        /// RFC 8983.
        Ip4Allowed = 16439 => "IP4_ALLOWED",
        /// RFC 8983.
        Ip6Allowed = 16440 => "IP6_ALLOWED",
        /// RFC 9370.
        AdditionalKeyExchange = 16441 => "ADDITIONAL_KEY_EXCHANGE",
        /// RFC 9347.
        UseAggfrag = 16442 => "USE_AGGFRAG",
    }
}

impl NotifyType {
    /// RFC 7296 §3.10.1: types below 16384 report errors.
    pub fn is_error(self) -> bool {
        self.raw() < 16384
    }
}

wire_enum! {
    /// Traffic selector types (RFC 7296 §3.13.1).
    pub enum TsType: u8 {
        /// A range of IPv4 addresses.
        Ipv4AddrRange = 7 => "TS_IPV4_ADDR_RANGE",
        /// A range of IPv6 addresses.
        Ipv6AddrRange = 8 => "TS_IPV6_ADDR_RANGE",
        /// RFC 4595.
        FcAddrRange = 9 => "TS_FC_ADDR_RANGE",
        /// RFC 9478.
        SecLabel = 10 => "TS_SECLABEL",
    }
}

wire_enum! {
    /// Configuration payload types (RFC 7296 §3.15).
    pub enum CfgType: u8 {
        /// The initiator asks for attributes.
        Request = 1 => "CFG_REQUEST",
        /// The responder's answer.
        Reply = 2 => "CFG_REPLY",
        /// A peer pushes attributes.
        Set = 3 => "CFG_SET",
        /// Acknowledges a CFG_SET.
        Ack = 4 => "CFG_ACK",
    }
}

wire_enum! {
    /// Configuration attribute types (RFC 7296 §3.15.1 and later RFCs).
    pub enum CfgAttributeType: u16 {
        /// RFC 7296.
        InternalIp4Address = 1 => "INTERNAL_IP4_ADDRESS",
        /// RFC 7296.
        InternalIp4Netmask = 2 => "INTERNAL_IP4_NETMASK",
        /// RFC 7296.
        InternalIp4Dns = 3 => "INTERNAL_IP4_DNS",
        /// RFC 7296.
        InternalIp4Nbns = 4 => "INTERNAL_IP4_NBNS",
        /// RFC 7296.
        InternalIp4Dhcp = 6 => "INTERNAL_IP4_DHCP",
        /// RFC 7296.
        ApplicationVersion = 7 => "APPLICATION_VERSION",
        /// RFC 7296.
        InternalIp6Address = 8 => "INTERNAL_IP6_ADDRESS",
        /// RFC 7296.
        InternalIp6Dns = 10 => "INTERNAL_IP6_DNS",
        /// RFC 7296.
        InternalIp6Dhcp = 12 => "INTERNAL_IP6_DHCP",
        /// RFC 7296.
        InternalIp4Subnet = 13 => "INTERNAL_IP4_SUBNET",
        /// RFC 7296.
        SupportedAttributes = 14 => "SUPPORTED_ATTRIBUTES",
        /// RFC 7296.
        InternalIp6Subnet = 15 => "INTERNAL_IP6_SUBNET",
        /// RFC 5026.
        Mip6HomePrefix = 16 => "MIP6_HOME_PREFIX",
        /// RFC 5739.
        InternalIp6Link = 17 => "INTERNAL_IP6_LINK",
        /// RFC 5739.
        InternalIp6Prefix = 18 => "INTERNAL_IP6_PREFIX",
        /// RFC 8598.
        InternalDnsDomain = 25 => "INTERNAL_DNS_DOMAIN",
        /// RFC 8598.
        InternalDnssecTa = 26 => "INTERNAL_DNSSEC_TA",
    }
}

wire_enum! {
    /// EAP codes (RFC 3748 §4).
    pub enum EapCode: u8 {
        /// Request from the authenticator.
        Request = 1 => "Request",
        /// Response from the peer.
        Response = 2 => "Response",
        /// Authentication succeeded.
        Success = 3 => "Success",
        /// Authentication failed.
        Failure = 4 => "Failure",
    }
}

wire_enum! {
    /// EAP method types (IANA "Method Types").
    pub enum EapType: u8 {
        /// RFC 3748 §5.1.
        Identity = 1 => "Identity",
        /// RFC 3748 §5.2.
        Notification = 2 => "Notification",
        /// RFC 3748 §5.3.
        Nak = 3 => "Nak",
        /// RFC 3748 §5.4.
        Md5Challenge = 4 => "MD5-Challenge",
        /// RFC 3748 §5.6.
        Gtc = 6 => "GTC",
        /// RFC 5216.
        Tls = 13 => "EAP-TLS",
        /// RFC 4186.
        Sim = 18 => "EAP-SIM",
        /// RFC 5281.
        Ttls = 21 => "EAP-TTLS",
        /// RFC 4187.
        Aka = 23 => "EAP-AKA",
        /// PEAP.
        Peap = 25 => "PEAP",
        /// draft-kamath-pppext-eap-mschapv2.
        MsChapV2 = 26 => "EAP-MSCHAPv2",
        /// RFC 5448 / RFC 9048.
        AkaPrime = 50 => "EAP-AKA'",
    }
}

wire_enum! {
    /// Hash algorithms for RFC 7427 signatures (SIGNATURE_HASH_ALGORITHMS).
    pub enum HashAlgorithm: u16 {
        /// SHA-1 (not to be used for new signatures).
        Sha1 = 1 => "SHA1",
        /// SHA2-256.
        Sha2_256 = 2 => "SHA2_256",
        /// SHA2-384.
        Sha2_384 = 3 => "SHA2_384",
        /// SHA2-512.
        Sha2_512 = 4 => "SHA2_512",
        /// RFC 8420 (Ed25519/Ed448).
        Identity = 5 => "IDENTITY",
    }
}
