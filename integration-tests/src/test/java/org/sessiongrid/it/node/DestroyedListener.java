package org.sessiongrid.it.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;

/**
 * Appends {@code destroyed <id> <node> <epochMillis>} to this node's events file (system property
 * {@code fault.events}) for every sessionDestroyed. Written with SYNC so that a node killed with -9 right
 * after still shows its events to the checker.
 */
public class DestroyedListener implements HttpSessionListener {

    @Override
    public void sessionDestroyed(HttpSessionEvent se) {
        record("destroyed " + CounterServlet.strip(se.getSession().getId()) + " " + CounterServlet.node() + " "
                + System.currentTimeMillis());
    }

    private static synchronized void record(String line) {
        String file = System.getProperty("fault.events");
        if (file == null) {
            return;
        }
        try {
            Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
