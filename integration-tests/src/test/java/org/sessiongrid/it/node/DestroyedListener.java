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
 * {@code fault.events}) for every sessionDestroyed. Once the write returns the line is the kernel's, so a
 * node killed with -9 right after still shows it to the checker; no SYNC (that guards against a power
 * cut, not a killed process, and its disk flush would widen the window in which a kill loses a call).
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
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
