# shellcheck shell=bash
# Test PKI, generated at run time in $LAB_DIR/pki (never committed).
#
#   ca.{crt,key}.pem / ca.crt.der        Softwire Lab Root CA
#   sc.{crt,key}.pem                     SC: CN/SAN sc.example.net
#   client.crt.{pem,der}                 client: SAN client@example.net
#   client.key.{pem,der}                 client key, PKCS#8 (unencrypted)

PKI_DIR="$LAB_DIR/pki"
CA_DN="C=US, O=Softwire Lab, CN=Softwire Lab Root CA"
ROGUE_CA_DN="CN=Rogue CA"

# pki_key TYPE OUT_PEM : generate a private key (rsa 2048, or LAB_RSA_BITS,
# or ecdsa P-256)
pki_key() {
    local type="$1" out="$2"
    case "$type" in
        rsa) pki --gen --type rsa --size "${LAB_RSA_BITS:-2048}" --outform pem >"$out" 2>>"$PKI_DIR/pki.log" ;;
        ecdsa) pki --gen --type ecdsa --size 256 --outform pem >"$out" 2>>"$PKI_DIR/pki.log" ;;
        *) die "key type must be rsa or ecdsa, got '$type'" ;;
    esac
    chmod 600 "$out"
}

# pki_issue KEY OUT DN SAN FLAG...  (signed by the lab CA)
pki_issue() {
    local key="$1" out="$2" dn="$3" san="$4"
    shift 4
    pki_issue_by "$PKI_DIR/ca.crt.pem" "$PKI_DIR/ca.key.pem" "$key" "$out" "$dn" "$san" "$@"
}

# pki_issue_by CA_CERT CA_KEY KEY OUT DN SAN FLAG...
pki_issue_by() {
    local cacert="$1" cakey="$2" key="$3" out="$4" dn="$5" san="$6" flags=() f
    shift 6
    for f in "$@"; do flags+=(--flag "$f"); done
    pki --pub --in "$key" 2>>"$PKI_DIR/pki.log" |
        pki --issue --cacert "$cacert" --cakey "$cakey" \
            --dn "$dn" --san "$san" "${flags[@]}" --lifetime 30 \
            --digest sha256 --outform pem >"$out" 2>>"$PKI_DIR/pki.log"
}

pki_up() {
    mkdir -p "$PKI_DIR"
    chmod 700 "$PKI_DIR"
    : >"$PKI_DIR/pki.log"

    pki_key rsa "$PKI_DIR/ca.key.pem"
    pki --self --ca --lifetime 30 --in "$PKI_DIR/ca.key.pem" --dn "$CA_DN" \
        --digest sha256 --outform pem >"$PKI_DIR/ca.crt.pem" 2>>"$PKI_DIR/pki.log" ||
        die "CA creation failed, see $PKI_DIR/pki.log"

    pki_key "$SC_KEY_TYPE" "$PKI_DIR/sc.key.pem"
    pki_issue "$PKI_DIR/sc.key.pem" "$PKI_DIR/sc.crt.pem" \
        "C=US, O=Softwire Lab, CN=$SC_ID" "$SC_ID" serverAuth ikeIntermediate ||
        die "SC certificate failed, see $PKI_DIR/pki.log"

    pki_key "$CLIENT_KEY_TYPE" "$PKI_DIR/client.key.orig.pem"
    pki_issue "$PKI_DIR/client.key.orig.pem" "$PKI_DIR/client.crt.pem" \
        "C=US, O=Softwire Lab, CN=$CLIENT_ID" "$CLIENT_ID" clientAuth ||
        die "client certificate failed, see $PKI_DIR/pki.log"

    # PEM and DER copies for the Rust client; the key as PKCS#8.
    openssl x509 -in "$PKI_DIR/ca.crt.pem" -outform DER -out "$PKI_DIR/ca.crt.der"
    openssl x509 -in "$PKI_DIR/client.crt.pem" -outform DER -out "$PKI_DIR/client.crt.der"
    openssl x509 -in "$PKI_DIR/sc.crt.pem" -outform DER -out "$PKI_DIR/sc.crt.der"
    openssl pkcs8 -topk8 -nocrypt -in "$PKI_DIR/client.key.orig.pem" \
        -out "$PKI_DIR/client.key.pem"
    openssl pkcs8 -topk8 -nocrypt -in "$PKI_DIR/client.key.orig.pem" \
        -outform DER -out "$PKI_DIR/client.key.der"
    rm -f "$PKI_DIR/client.key.orig.pem"
    chmod 600 "$PKI_DIR"/*.key.*
}

# Rogue responders' credentials (made by "rogues up", not at every "up"):
#   rogue-identity.{crt,key}.pem, .crt.der   lab CA, CN/SAN dns rogue.example.net
#   rogue-ca-ca.{crt,key}.pem, .crt.der      self-made "CN=Rogue CA"
#   rogue-ca.{crt,key}.pem, .crt.der         Rogue CA, CN/SAN dns sc.example.net
pki_rogues_up() {
    [[ -s "$PKI_DIR/ca.key.pem" ]] || die "lab PKI missing (run: lab.sh up)"
    pki_key "$SC_KEY_TYPE" "$PKI_DIR/rogue-identity.key.pem"
    pki_issue "$PKI_DIR/rogue-identity.key.pem" "$PKI_DIR/rogue-identity.crt.pem" \
        "C=US, O=Softwire Lab, CN=$ROGUE_ID" "$ROGUE_ID" serverAuth ikeIntermediate ||
        die "rogue-identity certificate failed, see $PKI_DIR/pki.log"

    pki_key rsa "$PKI_DIR/rogue-ca-ca.key.pem"
    pki --self --ca --lifetime 30 --in "$PKI_DIR/rogue-ca-ca.key.pem" --dn "$ROGUE_CA_DN" \
        --digest sha256 --outform pem >"$PKI_DIR/rogue-ca-ca.crt.pem" 2>>"$PKI_DIR/pki.log" ||
        die "Rogue CA creation failed, see $PKI_DIR/pki.log"
    pki_key "$SC_KEY_TYPE" "$PKI_DIR/rogue-ca.key.pem"
    pki_issue_by "$PKI_DIR/rogue-ca-ca.crt.pem" "$PKI_DIR/rogue-ca-ca.key.pem" \
        "$PKI_DIR/rogue-ca.key.pem" "$PKI_DIR/rogue-ca.crt.pem" \
        "C=US, O=Softwire Lab, CN=$SC_ID" "$SC_ID" serverAuth ikeIntermediate ||
        die "rogue-ca certificate failed, see $PKI_DIR/pki.log"

    local c
    for c in rogue-identity rogue-ca-ca rogue-ca; do
        openssl x509 -in "$PKI_DIR/$c.crt.pem" -outform DER -out "$PKI_DIR/$c.crt.der"
    done
}
