/* test-manifest.vala: FsCache.CacheManifest from Vala, through the vapi
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A manifest loaded from bytes (tests/fuzz/corpus/fuzz-manifest/small: the
 * tree ., a, b, b/c, b/d -> c, e; its path is the first argument), its
 * nodes through GLib.ListModel, lookup, and a corrupt manifest's error.
 */

string seed_path;

Bytes read_seed () {
  uint8[] data;
  try {
    FileUtils.get_data (seed_path, out data);
  } catch (FileError e) {
    error ("%s", e.message);
  }
  return new Bytes (data);
}

void test_nodes () {
  var bytes = read_seed ();
  FsCache.CacheManifest manifest;
  try {
    manifest = new FsCache.CacheManifest.from_bytes (bytes);
  } catch (Error e) {
    error ("%s", e.message);
  }
  assert_cmpstr (manifest.get_digest (), CompareOperator.EQ,
                 Checksum.compute_for_bytes (ChecksumType.SHA256, bytes));
  assert_cmpuint (manifest.get_n_items (), CompareOperator.EQ, 6);
  var paths = new StringBuilder ();
  for (uint i = 0; i < manifest.get_n_items (); i++) {
    var node = (FsCache.CacheManifestNode) manifest.get_item (i);
    if (i > 0)
      paths.append_c (' ');
    paths.append (node.get_path ());
  }
  assert_cmpstr (paths.str, CompareOperator.EQ, ". a b b/c b/d e");
  var a = manifest.lookup ("a");
  assert_true (a.get_node_type () == FsCache.CacheNodeType.REGULAR);
  assert_cmpstr (a.get_sha256 (), CompareOperator.EQ,
                 Checksum.compute_for_string (ChecksumType.SHA256, "alpha\n"));
  assert_cmpstr (manifest.lookup ("b/d").get_symlink_target (), CompareOperator.EQ, "c");
  assert_null (manifest.lookup ("nothing"));
}

void test_corrupt () {
  var bytes = read_seed ();
  try {
    new FsCache.CacheManifest.from_bytes (bytes.slice (0, 100));
    assert_not_reached ();
  } catch (FsCache.CacheError.CORRUPT e) {
    /* expected */
  } catch (Error e) {
    error ("%s", e.message);
  }
}

int main (string[] args) {
  Test.init (ref args);
  seed_path = args[1];
  Test.add_func ("/vala/manifest/nodes", test_nodes);
  Test.add_func ("/vala/manifest/corrupt", test_corrupt);
  return Test.run ();
}
