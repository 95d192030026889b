package org.sessiongrid.testsupport.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A fixture's work directory: emptied before a run, so that a run reads its own files only. */
public final class WorkDirs {

    private WorkDirs() {
    }

    /** Deletes {@code dir} and everything below it, if it exists. */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.delete(x);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** {@code dir}, empty: deleted if it existed, then created with its parents. */
    public static Path fresh(Path dir) throws IOException {
        delete(dir);
        return Files.createDirectories(dir);
    }
}
