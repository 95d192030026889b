package org.sessiongrid.jgroups;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed PKCS12 key pairs and truststores for the tls stack's tests. Key pairs come from the
 * JDK's keytool because the JDK has no public API to issue a certificate; truststores are
 * assembled in-process, which is faster than more keytool runs.
 */
final class TestKeystores {

    static final String PASSWORD = "changeit";
    private static final String TYPE = "PKCS12";

    private final Path directory;

    TestKeystores(Path directory) {
        this.directory = directory;
    }

    /** @return true if this JDK ships keytool */
    static boolean keytoolAvailable() {
        return Files.isExecutable(keytool());
    }

    /** Creates a keystore holding one EC key pair with a self-signed certificate for CN={@code name}. */
    Path keyPair(String name) throws IOException, InterruptedException {
        Path keystore = directory.resolve(name + ".p12");
        Path log = directory.resolve(name + "-keytool.log");
        Process process = new ProcessBuilder(keytool().toString(), "-genkeypair", "-alias", name,
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name, "-validity", "2",
                "-storetype", TYPE, "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("keytool failed for " + name + ":\n" + Files.readString(log));
        }
        return keystore;
    }

    /** Creates a truststore trusting the certificates of the given keystores. */
    Path truststore(String name, Path... trustedKeystores) throws Exception {
        KeyStore truststore = KeyStore.getInstance(TYPE);
        truststore.load(null, null);
        for (Path keystorePath : trustedKeystores) {
            KeyStore keystore = KeyStore.getInstance(TYPE);
            try (InputStream in = Files.newInputStream(keystorePath)) {
                keystore.load(in, PASSWORD.toCharArray());
            }
            String alias = keystore.aliases().nextElement();
            truststore.setCertificateEntry(alias, keystore.getCertificate(alias));
        }
        Path path = directory.resolve(name + ".p12");
        try (OutputStream out = Files.newOutputStream(path)) {
            truststore.store(out, PASSWORD.toCharArray());
        }
        return path;
    }

    /** The tls stack's properties for a member with this keystore and truststore. */
    static Properties tlsProperties(Path keystore, Path truststore) {
        Properties properties = new Properties();
        properties.setProperty(StackLoader.TLS_KEYSTORE_PATH, keystore.toString());
        properties.setProperty(StackLoader.TLS_KEYSTORE_PASSWORD, PASSWORD);
        properties.setProperty(StackLoader.TLS_TRUSTSTORE_PATH, truststore.toString());
        properties.setProperty(StackLoader.TLS_TRUSTSTORE_PASSWORD, PASSWORD);
        return properties;
    }

    private static Path keytool() {
        return Path.of(System.getProperty("java.home"), "bin", "keytool");
    }
}
