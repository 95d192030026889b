package org.sessiongrid.tomcat.testapp;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A session attribute whose deserialization stops half-way until the test lets it go: it holds a node's
 * refresh of a session copy open, so that a test can change the copy from another thread meanwhile.
 */
public final class BlockingValue implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Counted down when a copy starts reading this value. */
    public static final CountDownLatch READING = new CountDownLatch(1);
    /** The reading waits for this (at most 30 s). */
    public static final CountDownLatch RELEASE = new CountDownLatch(1);

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        READING.countDown();
        try {
            RELEASE.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
