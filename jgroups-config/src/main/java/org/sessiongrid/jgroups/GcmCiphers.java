package org.sessiongrid.jgroups;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * A thread's AES-GCM ciphers, one per key it used lately. The JDK's cipher keeps the expanded form of
 * the last key it was initialised with and expands a key again whenever it is initialised with another
 * one: a member's thread that opens a message of one member and then seals its own answer alternates
 * two keys, and with one cipher per thread it would expand a key for every message.
 */
final class GcmCiphers {

    /** More than the members a thread talks to at once in a farm; beyond that, the least recent is reused. */
    private static final int SIZE = 8;
    private static final ThreadLocal<GcmCiphers> OF_THREAD = ThreadLocal.withInitial(GcmCiphers::new);

    private final SecretKeySpec[] keys = new SecretKeySpec[SIZE];
    private final Cipher[] ciphers = new Cipher[SIZE];
    private int next;

    private GcmCiphers() {
    }

    /**
     * This thread's cipher for {@code key} (compared by identity: a key is one instance for as long as it
     * is used), to be initialised by the caller for each message.
     */
    static Cipher forKey(SecretKeySpec key) {
        return OF_THREAD.get().cipher(key);
    }

    private Cipher cipher(SecretKeySpec key) {
        for (int i = 0; i < SIZE; i++) {
            if (keys[i] == key) {
                return ciphers[i];
            }
        }
        int i = next;
        next = (next + 1) % SIZE;
        if (ciphers[i] == null) {
            ciphers[i] = newCipher();
        }
        keys[i] = key;
        return ciphers[i];
    }

    static Cipher newCipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK lacks AES/GCM/NoPadding, which every Java 17 has", e);
        }
    }
}
