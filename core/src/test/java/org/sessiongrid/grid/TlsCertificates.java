package org.sessiongrid.grid;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test CA and the PKCS12 keystores the {@code tls} stack reads, made with the JDK's keytool (the JDK
 * has no public API to issue certificates): member certificates signed by the CA (valid, or expired),
 * and self-signed ones the CA never saw. A CA, not self-signed member certificates, because the JDK
 * does not check the validity of a certificate that is itself in the truststore.
 */
final class TlsCertificates {

    static final String PASSWORD = "changeit";

    private final Path dir;
    private final String name;
    private final Path ca;

    TlsCertificates(Path dir) throws IOException, InterruptedException {
        this(dir, "ca");
    }

    /** A CA of its own named {@code name} (several in one directory: a farm replacing its CA). */
    TlsCertificates(Path dir, String name) throws IOException, InterruptedException {
        this.dir = dir;
        this.name = name;
        this.ca = dir.resolve(name + ".p12");
        keytool(name, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=grid-" + name, "-ext", "bc:c", "-validity", "30", "-keystore", ca.toString());
        keytool(name + "-export", "-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file",
                caCertificate().toString());
    }

    static boolean available() {
        return Files.isExecutable(Path.of(System.getProperty("java.home"), "bin", "keytool"));
    }

    /** The truststore members use: the CA's certificate only. */
    Path truststore() throws Exception {
        return truststore(dir.resolve("truststore.p12"), this);
    }

    /** A truststore at {@code path} holding the certificates of {@code cas}, and nothing else. */
    static Path truststore(Path path, TlsCertificates... cas) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (TlsCertificates c : cas) {
            trust.setCertificateEntry(c.name, load(c.ca).getCertificate("ca"));
        }
        try (OutputStream out = Files.newOutputStream(path)) {
            trust.store(out, PASSWORD.toCharArray());
        }
        return path;
    }

    /** A key pair whose certificate the CA signed, valid now, or (expired) for one day ending days ago. */
    Path signed(String name, boolean expired) throws IOException, InterruptedException {
        Path keystore = dir.resolve(name + ".p12");
        keytool(name, "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-keystore", keystore.toString());
        Path csr = dir.resolve(name + ".csr");
        Path crt = dir.resolve(name + ".crt");
        keytool(name + "-csr", "-certreq", "-alias", name, "-keystore", keystore.toString(), "-file", csr.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-infile",
                csr.toString(), "-outfile", crt.toString(), "-rfc"));
        sign.addAll(expired ? List.of("-startdate", "-3d", "-validity", "1") : List.of("-validity", "2"));
        keytool(name + "-sign", sign.toArray(String[]::new));
        keytool(name + "-ca", "-importcert", "-noprompt", "-alias", "ca", "-keystore", keystore.toString(), "-file",
                caCertificate().toString());
        keytool(name + "-reply", "-importcert", "-alias", name, "-keystore", keystore.toString(), "-file", crt.toString());
        return keystore;
    }

    private Path caCertificate() {
        return dir.resolve(name + ".crt");
    }

    /** A key pair with a self-signed certificate: no member trusts it. */
    Path selfSigned(String name) throws IOException, InterruptedException {
        Path keystore = dir.resolve(name + ".p12");
        keytool(name, "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-validity", "2", "-keystore", keystore.toString());
        return keystore;
    }

    static KeyStore load(Path path) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    private void keytool(String step, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        if (args[0].equals("-genkeypair")) {
            cmd.addAll(List.of("-keypass", PASSWORD));
        }
        Path log = dir.resolve(step + "-keytool.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool " + step + " failed:\n" + Files.readString(log));
        }
    }
}
