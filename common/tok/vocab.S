/* The built-in vocabularies: blobs made by scripts/mkvocab at build time. */
	.section .rodata
	.balign 64
	.globl	bpe_blob_cl100k_base
	.type	bpe_blob_cl100k_base, @object
bpe_blob_cl100k_base:
	.incbin	"build/vocab/cl100k_base.bin"
	.size	bpe_blob_cl100k_base, . - bpe_blob_cl100k_base

	.balign 64
	.globl	bpe_blob_o200k_base
	.type	bpe_blob_o200k_base, @object
bpe_blob_o200k_base:
	.incbin	"build/vocab/o200k_base.bin"
	.size	bpe_blob_o200k_base, . - bpe_blob_o200k_base

	.section .note.GNU-stack,"",@progbits
