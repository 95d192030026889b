package org.sessiongrid.jgroups;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys {@link SEAL} derives from a cluster's secrets: one master key per secret (PBKDF2 with the
 * cluster name in the salt, so one secret in two clusters gives two unrelated keys and a message of
 * one cluster is never accepted by the other), and from a master key one AES-256 key per sender
 * incarnation (HMAC-SHA256, HKDF's expand step), so that a counter is a safe GCM nonce whatever the
 * number of members and restarts.
 *
 * <p>The first secret seals what this member sends; every secret opens what it receives, which is
 * how a secret is rotated without a split (docs/configuration.md, "Cluster secret").
 */
final class SealKeys {

    /** PBKDF2 rounds: slows guessing a weak secret from captured traffic; costs a member start ~0.1 s per secret. */
    static final int PBKDF2_ITERATIONS = 200_000;
    /** Shortest secret accepted: 16 characters of {@code openssl rand -base64 32} carry ~96 bits. */
    static final int MIN_SECRET_LENGTH = 16;
    private static final String HMAC = "HmacSHA256";

    /** One secret's key: its public id (in every sealed message, to pick the key) and its master key. */
    record Key(int id, byte[] master) {
        /** The AES key of one sender incarnation under this master key. */
        SecretKeySpec incarnationKey(long incarnationHigh, long incarnationLow) {
            byte[] info = ByteBuffer.allocate(4 + 16).put("seal".getBytes(StandardCharsets.US_ASCII))
                    .putLong(incarnationHigh).putLong(incarnationLow).array();
            return new SecretKeySpec(hmac(master, info), "AES");
        }
    }

    private final List<Key> keys;

    private SealKeys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    /**
     * Derives the keys of {@code secrets} for {@code clusterName}.
     *
     * @param secrets at least one; the first seals, all open
     * @throws IllegalArgumentException if there is no secret, one is shorter than
     *         {@value #MIN_SECRET_LENGTH} characters, or two give the same key id
     */
    static SealKeys derive(String clusterName, List<String> secrets) {
        if (secrets == null || secrets.isEmpty()) {
            throw new IllegalArgumentException("no cluster secret given");
        }
        List<Key> keys = new ArrayList<>();
        for (String secret : secrets) {
            if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
                throw new IllegalArgumentException("a cluster secret must be at least " + MIN_SECRET_LENGTH
                        + " characters long (generate one with: openssl rand -base64 32)");
            }
            byte[] master = pbkdf2(secret, clusterName);
            int id = ByteBuffer.wrap(hmac(master, "sessiongrid key id".getBytes(StandardCharsets.US_ASCII))).getInt();
            if (keys.stream().anyMatch(k -> k.id() == id)) {
                throw new IllegalArgumentException("the same cluster secret is listed twice");
            }
            keys.add(new Key(id, master));
        }
        return new SealKeys(keys);
    }

    /** The key this member seals with. */
    Key sealing() {
        return keys.get(0);
    }

    /** The key with this id, or null if this member holds no such secret. */
    Key byId(int id) {
        for (Key k : keys) {
            if (k.id() == id) {
                return k;
            }
        }
        return null;
    }

    private static byte[] pbkdf2(String secret, String clusterName) {
        byte[] salt = ("sessiongrid cluster " + clusterName).getBytes(StandardCharsets.UTF_8);
        PBEKeySpec spec = new PBEKeySpec(secret.toCharArray(), salt, PBKDF2_ITERATIONS, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK lacks PBKDF2WithHmacSHA256, which every Java 17 has", e);
        } finally {
            spec.clearPassword();
        }
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK lacks HmacSHA256, which every Java 17 has", e);
        }
    }
}
