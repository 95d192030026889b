package org.sessiongrid.grid;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;

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
        try {
            keytoolMain();
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
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

    /**
     * Runs one keytool command in this JVM, through keytool's main class: a keytool process per step cost a
     * JVM start and about a second of CPU, and a class of TLS tests needs fifteen to twenty steps. With
     * {@code -debug} keytool throws its error instead of ending the JVM. Its package is not exported: the
     * test JVM runs with {@code --add-exports java.base/sun.security.tools.keytool=ALL-UNNAMED} (core's pom).
     */
    private void keytool(String step, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(args));
        cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD, "-debug"));
        if (args[0].equals("-genkeypair")) {
            cmd.addAll(List.of("-keypass", PASSWORD));
        }
        try {
            keytoolMain().invoke(null, (Object) cmd.toArray(String[]::new));
        } catch (InvocationTargetException e) {
            throw new IOException("keytool " + step + " failed: " + e.getCause(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("keytool runs in the test JVM, which needs --add-exports"
                    + " java.base/sun.security.tools.keytool=ALL-UNNAMED (core's surefire argLine)", e);
        }
    }

    private static Method keytoolMain() {
        try {
            return Class.forName("sun.security.tools.keytool.Main").getMethod("main", String[].class);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this JDK has no keytool", e);
        }
    }
}
