package webapp;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** Exists only in the test webapp's WEB-INF/classes (compiled by the test), never on a system class path. */
public class Cart implements Serializable {
    private static final long serialVersionUID = 1L;
    private final List<String> items = new ArrayList<>();

    public void add(String item) {
        items.add(item);
    }

    @Override
    public String toString() {
        return "Cart" + items;
    }
}
