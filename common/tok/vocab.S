/*
 * The built-in vocabularies: blobs made by scripts/mkvocab at build time.
 * Each begins on a boundary of 2 MB, in a segment of its own (.lrodata,
 * which the linker gives its own alignment), so that where the kernel
 * keeps the program's file in pages of 2 MB it maps them whole: a
 * program that counts a megabyte then takes a fault every 2 MB of the
 * tables it reads, not every 64 KB (the 14 MB of o200k_base took 224).
 * The larger comes first: less padding before the second.
 */
	.section .lrodata,"a",@progbits
	.balign 2097152
	.globl	bpe_blob_o200k_base
	.type	bpe_blob_o200k_base, @object
bpe_blob_o200k_base:
	.incbin	"build/vocab/o200k_base.bin"
	.size	bpe_blob_o200k_base, . - bpe_blob_o200k_base

	.balign 2097152
	.globl	bpe_blob_cl100k_base
	.type	bpe_blob_cl100k_base, @object
bpe_blob_cl100k_base:
	.incbin	"build/vocab/cl100k_base.bin"
	.size	bpe_blob_cl100k_base, . - bpe_blob_cl100k_base

	.section .note.GNU-stack,"",@progbits
