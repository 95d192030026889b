package org.sessiongrid.jgroups;

import java.security.GeneralSecurityException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import javax.crypto.Cipher;

/**
 * The AES-GCM ciphers of one key, each lent to one message at a time ({@link #take}, {@link #give}).
 * The JDK's cipher keeps the expanded form of the last key it was initialised with and expands a key
 * again whenever it is initialised with another one, so a cipher serves one key only: one shared by a
 * thread's messages would expand a key for nearly every message on a thread that opens one member's
 * message and then seals its own answer. The ciphers are kept per key rather than per thread: from
 * Java 21 on, JGroups delivers each message on a new virtual thread, whose own cipher would be made and
 * its key expanded for every message.
 */
final class GcmCiphers {

    /** Ciphers kept idle: more than the threads that seal or open with one key at once on one host. */
    static final int KEPT = 8;

    private final AtomicReferenceArray<Cipher> idle = new AtomicReferenceArray<>(KEPT);

    /** An idle cipher of this key, or a new one; the caller initialises it and gives it back after use. */
    Cipher take() {
        for (int i = 0; i < KEPT; i++) {
            Cipher c = idle.get(i);
            if (c != null && idle.compareAndSet(i, c, null)) {
                return c;
            }
        }
        return newCipher();
    }

    /** Takes {@code cipher} back for the next message of this key; beyond {@value #KEPT} idle ones, drops it. */
    void give(Cipher cipher) {
        for (int i = 0; i < KEPT; i++) {
            if (idle.get(i) == null && idle.compareAndSet(i, null, cipher)) {
                return;
            }
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK lacks AES/GCM/NoPadding, which every Java 17 has", e);
        }
    }
}
