import PCPModel

/// /proc/swaps (swap_show, mm/swapfile.c, 6.18): the header, then a line per active swap
/// device with its size and use in kB. The simulated device is a synchronous block device
/// (zram), swapped on without a priority, so it gets the first default priority, -2.
public enum Swaps {
    static let device = "/dev/zram0", priority = -2

    public static func render(_ s: Snapshot) -> String {
        var out = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
        guard s.swapTotalPages > 0 else { return out }
        let kb = K.pageSize / 1024
        let size = s.swapTotalPages * kb, used = (s.swapTotalPages - s.swapFreePages) * kb
        out += device + String(repeating: " ", count: device.count < 40 ? 40 - device.count : 1)
        out += "partition\t\(size)\t" + (size < 10_000_000 ? "\t" : "") + "\(used)\t" + (used < 10_000_000 ? "\t" : "") + "\(priority)\n"
        return out
    }
}
